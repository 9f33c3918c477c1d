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
/* Replace the published file with s: atomically, then mark the old one. */
int publisher_publish(
    struct publisher *p, const struct snapshot *s, char *err, size_t errlen);
/* The file now published, open; -1 if none. */
int publisher_fd(const struct publisher *p);
/* Take the published file away and tell its readers (a clean stop); p may
 * be NULL. */
void publisher_withdraw(struct publisher *p);
/* Leaves the file in place, for the readers still using it. */
void publisher_free(struct publisher *p);

#endif
