/*
 * idstore.h - each backend's last good answer on disk (IDSTORE_FILE.NAME
 * under the cache directory, NAME being its section).  At start tsnssd applies
 * the policy in force and the local accounts as they are now to it, before
 * serving: the persisted snapshot alone would bring back users a local account
 * has since taken.
 */
#ifndef TSNSS_IDSTORE_H
#define TSNSS_IDSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "plugin.h"

struct idlist;

#define IDSTORE_FILE "identities"
#define IDSTORE_REWRITE_AFTER 600 /* s: an unchanged answer's time on disk */

/*
 * Write only when the answer differs from what the file holds.  A NULL
 * name is IDSTORE_FILE alone, as a tsnssd with one backend wrote it.
 * Refused (-1) if the file would be over max bytes (max_state_bytes),
 * which idstore_load would not read back.
 */
int idstore_save(const char *dir, const char *name,
    const struct tsnss_identity *ids, size_t n, time_t at, size_t max,
    char *err, size_t errlen);
/*
 * The same in steps, for the build worker: the answer encoded, checked
 * against max bytes before the build is served, written after.
 */
struct idstore_out;
struct idstore_out *idstore_encode(
    const char *name, const struct tsnss_identity *ids, size_t n, time_t at);
/* 0, or -1 (err set) if the file would be over max bytes. */
int idstore_check(const struct idstore_out *o, const char *dir, size_t max,
    char *err, size_t errlen);
/* idstore_save's write: only if the file holds another answer. */
int idstore_write(const struct idstore_out *o, const char *dir, size_t max,
    char *err, size_t errlen);
void idstore_out_free(struct idstore_out *o);
/*
 * The identities, with their groups and attributes, and when the backend
 * gave them; NULL with err set ("" if there is no file).
 */
struct idlist *idstore_load(const char *dir, const char *name, size_t max,
    time_t *at, char *err, size_t errlen);

#endif
