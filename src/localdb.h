/*
 * localdb.h - the host's own accounts, read straight from /etc/passwd and
 * /etc/group, with the names and ids the host reserves (never through NSS,
 * which could loop back into tsnssd).  The policy refuses any tailnet name or
 * id that one of them already holds.
 */
#ifndef TSNSS_LOCALDB_H
#define TSNSS_LOCALDB_H

#include <stddef.h>
#include <stdint.h>

struct localdb;

struct localdb *localdb_load(const char *passwd_path, const char *group_path);
struct localdb *localdb_empty(void);
void localdb_free(struct localdb *db);
/* A hash of both files' bytes, to tell whether they changed; 0 if unread. */
uint64_t localdb_files_hash(const char *passwd_path, const char *group_path);

int localdb_has_user(const struct localdb *db, const char *name);
int localdb_has_uid(const struct localdb *db, uint32_t uid);
int localdb_has_group(const struct localdb *db, const char *name);
int localdb_has_gid(const struct localdb *db, uint32_t gid);
/*
 * Names and ids the host keeps for its own software (reserved.h): why, or
 * NULL.  localdb_load() reads them with the accounts; localdb_empty() has
 * only the built-in names.
 */
const char *localdb_reserved_name(const struct localdb *db, const char *name);
const char *localdb_reserved_id(const struct localdb *db, uint32_t id);
/*
 * 0 if name is certainly no local user or group and no reserved name;
 * 1 if it may be one (then ask the functions above).  A quick test the
 * policy makes of every name, most of which are none of these.
 */
int localdb_may_hold_name(const struct localdb *db, const char *name);
/* Reserved-name files and lines over a bound or malformed, left out. */
size_t localdb_skipped(const struct localdb *db);
/* Whether a local uid or gid lies in [first, last]. */
int localdb_any_id_in(const struct localdb *db, uint32_t first, uint32_t last);
/* 1 with *gid set if /etc/group has a group name (its first line), else 0. */
int localdb_group_gid(
    const struct localdb *db, const char *name, uint32_t *gid);

#endif
