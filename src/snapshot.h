/*
 * snapshot.h - one immutable picture of the users and groups, built whole
 * from one backend answer and swapped in at once.
 *
 * It is plain data in one contiguous buffer, offsets instead of pointers,
 * so the same bytes are what gets written to the cache file and, later,
 * what the stub could map read-only.  Offsets count from the buffer start.
 */
#ifndef TSNSS_SNAPSHOT_H
#define TSNSS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define SNAP_MAGIC 0x4e535354u /* "TSSN" read little-endian */
#define SNAP_VERSION 1u

struct snap_header {
	uint32_t magic;
	uint32_t version;
	uint64_t size;
	int64_t created; /* when the backend answered, unix seconds */
	uint32_t n_users, n_groups, n_members, n_user_gids;
	uint32_t users;	    /* struct snap_user[n_users], by name */
	uint32_t uid_index; /* uint32_t[n_users]: user numbers by uid */
	uint32_t groups;    /* struct snap_group[n_groups], by name */
	uint32_t gid_index; /* uint32_t[n_groups]: group numbers by gid */
	uint32_t members;   /* uint32_t[n_members]: string offsets */
	uint32_t user_gids; /* uint32_t[n_user_gids]: supplementary gids */
	uint32_t strings;   /* NUL-terminated strings up to size */
	uint32_t policy;    /* policy_fingerprint() it was built under */
	uint64_t checksum; /* FNV-1a 64 over the bytes after the header */
};

struct snap_user {
	uint32_t uid, gid;
	uint32_t name, login, gecos, home, shell; /* string offsets */
	uint32_t gids_first, n_gids;		  /* into user_gids */
};

struct snap_group {
	uint32_t gid;
	uint32_t name;
	uint32_t members_first, n_members; /* into members */
};

struct snapshot {
	unsigned char *buf;
	size_t len;
	const struct snap_header *h;
	const struct snap_user *users;
	const uint32_t *uid_index;
	const struct snap_group *groups;
	const uint32_t *gid_index;
	const uint32_t *members;
	const uint32_t *user_gids;
};

struct snapshot *snapshot_build(
    const struct policy_result *r, int64_t created, uint32_t policy);
/* Takes ownership of buf (malloc'd) whether or not it is valid. */
struct snapshot *snapshot_adopt(
    unsigned char *buf, size_t len, char *err, size_t errlen);
void snapshot_free(struct snapshot *s);

static inline const char *
snapshot_str(const struct snapshot *s, uint32_t off)
{
	return (const char *)s->buf + off;
}

const struct snap_user *snapshot_user_by_name(
    const struct snapshot *s, const char *name);
const struct snap_user *snapshot_user_by_uid(
    const struct snapshot *s, uint32_t uid);
const struct snap_user *snapshot_user_at(
    const struct snapshot *s, uint32_t index);
const struct snap_group *snapshot_group_by_name(
    const struct snapshot *s, const char *name);
const struct snap_group *snapshot_group_by_gid(
    const struct snapshot *s, uint32_t gid);
const struct snap_group *snapshot_group_at(
    const struct snapshot *s, uint32_t index);

#endif
