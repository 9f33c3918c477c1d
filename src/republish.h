/*
 * republish.h - publishing as the daemon sees it: whether the NSS module's
 * map is in use, said once in the log each way, and a publish that failed
 * tried again on the loop with back-off (publish.h does the file itself).
 */
#ifndef TSNSS_REPUBLISH_H
#define TSNSS_REPUBLISH_H

struct publisher;
struct republisher;
struct snapshot;
struct tsnssd;

/*
 * Publish s through p, logging when the map goes out of use and when it
 * is back, each once, however many tries come between.  Any thread (the
 * build worker's included).  0, or -1.
 */
int publish_logged(struct publisher *p, struct snapshot *s);

/* For d's loop; d->pub and d->base must exist. */
struct republisher *republisher_new(struct tsnssd *d);
/*
 * On the loop: if the last publish failed, publish d->snap again in a
 * while, and again later, each wait twice the last (capped), until one
 * works or there is nothing to publish.  Idempotent.
 */
void republisher_arm(struct republisher *r);
void republisher_free(struct republisher *r);

#endif
