/*
 * publish.h - the snapshot file the NSS stub maps (common/snapfile.h),
 * next to tsnssd's socket.
 */
#ifndef TSNSS_PUBLISH_H
#define TSNSS_PUBLISH_H

#include <stddef.h>

struct snapshot;
struct publisher;

struct publisher *publisher_new(const char *path);
/*
 * Replace the published file with s (its directory made if missing):
 * atomically, then mark the old one, ours or one left by a tsnssd before
 * us, superseded; s is then read through the published file
 * (snapshot_use_file).  0, or -1 with why in err.  *failed: how many
 * publishes had failed in a row before this one.  Any thread.
 */
int publisher_publish(struct publisher *p, struct snapshot *s, unsigned *failed,
    char *err, size_t errlen);
/*
 * The same, only if the last publish failed (and no withdraw came since)
 * and no other thread is publishing now; 1 if it did nothing.
 */
int publisher_republish(struct publisher *p, struct snapshot *s,
    unsigned *failed, char *err, size_t errlen);
/*
 * Whether the last publish failed (and no withdraw came since); 0 while
 * another thread is publishing.  Never waits.
 */
int publisher_failing(struct publisher *p);
/* Take the published file away and tell its readers (a clean stop); p may
 * be NULL. */
void publisher_withdraw(struct publisher *p);
/* Leaves the file in place, for the readers still using it. */
void publisher_free(struct publisher *p);

#endif
