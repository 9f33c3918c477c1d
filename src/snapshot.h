/*
 * snapshot.h - one immutable picture of the users and groups, built whole
 * from one backend answer and swapped in at once.
 *
 * It is plain data in one contiguous buffer in the format of
 * common/snapfile.h: the same bytes are persisted under the cache
 * directory, published for the NSS stub to map, and searched here with
 * the stub's own reader.
 */
#ifndef TSNSS_SNAPSHOT_H
#define TSNSS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "snapfile.h"

struct policy_result;

struct snapshot {
	unsigned char *buf; /* malloc'd, or mapped (mapped != 0) */
	size_t len;
	const struct tsnss_snap_header *h; /* buf's own header */
	struct tsnss_snap v;		   /* the reader's view of buf */
	int mapped;
	/*
	 * keep_built: snapshot_use_file keeps the malloc'd bytes it lets go
	 * of in built (freed with s) rather than freeing them, for the
	 * builder to persist once the file is published (build.c).
	 */
	int keep_built;
	unsigned char *built;
};

/* What a snapshot says about itself besides its users and groups. */
struct snap_meta {
	int64_t created;     /* when the backend answered */
	int64_t serve_until; /* created + max_stale; 0 for no limit */
	uint64_t generation;
	uint32_t policy;     /* policy_fingerprint() it is built under */
	uint32_t flags;	     /* TSNSS_SNAP_* */
	uint64_t local_hash; /* localdb_files_hash() of the local files */
};

struct snapshot *snapshot_build(
    const struct policy_result *r, const struct snap_meta *meta);
/*
 * Check bytes from disk whole (tsnss_snap_verify) and take them.  Takes
 * ownership of buf (malloc'd) whether or not it is valid.
 */
struct snapshot *snapshot_adopt(
    unsigned char *buf, size_t len, char *err, size_t errlen);
/* The same for the len bytes of file fd, mapped (read-only, private). */
struct snapshot *snapshot_map(int fd, size_t len, char *err, size_t errlen);
void snapshot_free(struct snapshot *s);
/*
 * Read s from now on through a read-only mapping of fd, the file s was
 * just written to, and let go of its own bytes (a copy, or a mapping of
 * the persisted file): the daemon then holds in memory
 * only the pages a lookup touches, shared with the NSS module's.  s is
 * unchanged if the mapping fails.
 */
void snapshot_use_file(struct snapshot *s, int fd);

#endif
