/*
 * cache.h - the last good snapshot on disk, so that users resolve at once
 * after a restart even while the backend is down.
 */
#ifndef TSNSS_CACHE_H
#define TSNSS_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct snapshot;

/*
 * Written atomically: temporary file, fsync, rename, fsync of the dir.
 * Refused (-1) over max bytes (max_state_bytes), which cache_load would
 * not read back.
 */
int cache_save(const char *dir, const struct snapshot *s, size_t max, char *err,
    size_t errlen);
/* The same for a snapshot's len bytes at buf, as snapshot_build made them. */
int cache_save_bytes(const char *dir, const void *buf, size_t len, size_t max,
    char *err, size_t errlen);
/*
 * NULL with err set if absent ("" then), unreadable, corrupt, foreign, or
 * built under another identity policy than `policy` (the config changed:
 * its users could be people the new config does not admit).
 */
struct snapshot *cache_load(
    const char *dir, uint32_t policy, size_t max, char *err, size_t errlen);

#endif
