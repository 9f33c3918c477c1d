/*
 * snapfile.h - the snapshot file: its format, defined once, and a reader.
 *
 * tsnssd builds one immutable snapshot of every user and group, persists
 * it under its cache directory and publishes the same bytes in its runtime
 * directory, where libnss_tailscale.so.2 maps it read-only and answers
 * lookups with no IPC.  The reader below is libc only and shared by the
 * stub, the daemon, tsnssctl, the unit tests and the fuzzer.
 *
 * Layout: a header, then tables, then a string area, all addressed by
 * 32-bit offsets from the start of the file; integers in host byte order
 * (the file never leaves the host).
 *
 *   users      struct tsnss_snap_user[n_users], sorted by name
 *   uid_index  uint32_t[n_users]: user numbers sorted by uid
 *   groups     struct tsnss_snap_group[n_groups], sorted by name
 *   gid_index  uint32_t[n_groups]: group numbers sorted by gid
 *   members    uint32_t[n_members]: string offsets of member names
 *   user_gids  uint32_t[n_user_gids]: supplementary gids, per user
 *   subids     struct tsnss_snap_subid[n_subids], sorted by name
 *   variants   struct tsnss_snap_variant[n_variants], sorted by name
 *   programs   struct tsnss_snap_program[n_programs]
 *   strings    NUL-terminated strings; the file's last byte is NUL
 *
 * Two checks, for two kinds of trust:
 *   tsnss_snap_open()    O(1): header, table bounds, final NUL.  Every
 *                        lookup then checks each offset it follows, so a
 *                        corrupt file gives an error, never a read out of
 *                        bounds.  What the stub does on every map.
 *   tsnss_snap_verify()  O(size): the checksum, every string, the order of
 *                        both indexes.  What tsnssd does to a file it
 *                        reads back from disk.
 */
#ifndef TSNSS_SNAPFILE_H
#define TSNSS_SNAPFILE_H

#include <stddef.h>
#include <stdint.h>

#define TSNSS_SNAP_MAGIC 0x4e535354u /* "TSSN" read little-endian */
/*
 * 3: local_hash joined the header, moving checksum and superseded; a
 * stub still loaded with version 2's layout must refuse the file (and ask
 * the socket), not read the checksum as the superseded flag.
 */
/*
 * 4: the subids table (subordinate id ranges, libsubid_tailscale.so)
 * took the place of a reserved field, and login variants and [program]
 * sections came as two more tables; a version 3 reader must not take
 * n_subids for its reserved 0, nor miss alice-host.
 */
#define TSNSS_SNAP_VERSION 4u
/* [program] sections a snapshot may carry: the stub scans them linearly */
#define TSNSS_SNAP_MAX_PROGRAMS 64u

/* header flags */
#define TSNSS_SNAP_NOENUM 0x1u /* enumerate = no: getpwent lists nobody */

struct tsnss_snap_header {
	uint32_t magic;
	uint32_t version;
	uint64_t size;	     /* of the whole file */
	uint64_t generation; /* one more than the snapshot it replaced */
	int64_t created;     /* when the backend answered, unix seconds */
	int64_t serve_until; /* serve no longer than this; 0: no limit */
	uint32_t flags;
	uint32_t policy; /* fingerprint of the identity policy it came from */
	uint32_t n_users, n_groups, n_members, n_user_gids;
	uint32_t users, uid_index, groups, gid_index, members, user_gids;
	uint32_t strings;
	uint32_t n_subids, subids;
	uint32_t reserved; /* 0 */
	uint32_t n_variants, variants;
	uint32_t n_programs, programs;
	/*
	 * What /etc/passwd and /etc/group held when it was built: at a
	 * restart, a snapshot whose local accounts are unchanged may be
	 * served at once (0: unknown, never).
	 */
	uint64_t local_hash;
	/*
	 * FNV-1a 64, taken a 64-bit word at a time, over the header up to
	 * here and then everything after the header
	 */
	uint64_t checksum;
	/*
	 * Live: tsnssd sets it to 1 in a published file once a newer one
	 * has been renamed over it, so readers know to map the new file
	 * without a stat() per lookup.  Not covered by the checksum; 0 in
	 * every file tsnssd writes.
	 */
	uint32_t superseded;
	uint32_t reserved2; /* 0 */
};

struct tsnss_snap_user {
	uint32_t uid, gid;
	uint32_t name, login, gecos, home, shell; /* string offsets */
	uint32_t gids_first, n_gids;		  /* into user_gids */
};

/*
 * alice-host: another name for user number 'user', with its own home and
 * shell where they are not 0.  Found by name only: getpwuid and
 * enumeration show the user's own name.
 */
struct tsnss_snap_variant {
	uint32_t name, user, home, shell;
};

/*
 * [program PATH]: home and shell templates (string offsets; 0 where the
 * section leaves the field alone) for lookups made by the executable at
 * path.
 */
struct tsnss_snap_program {
	uint32_t path, home, shell, reserved;
};

struct tsnss_snap_group {
	uint32_t gid;
	uint32_t name;			   /* string offset */
	uint32_t members_first, n_members; /* into members */
};

/*
 * A user's subordinate ids: uids and gids [start, start + count), never
 * 0, ending at or below 2^31.
 */
struct tsnss_snap_subid {
	uint32_t name; /* string offset: the user's name */
	uint32_t uid;  /* the user's */
	uint32_t start, count;
};

/*
 * A view of one snapshot's bytes; it owns nothing.  The header is copied
 * once at open, and every record is copied before it is checked and used,
 * so bytes that change under a reader can give it a wrong answer but never
 * lead it outside the file.
 */
struct tsnss_snap {
	const unsigned char *base;
	size_t len;
	struct tsnss_snap_header h;
};

/* A string inside the file: len bytes at s, then a NUL in the file. */
struct tsnss_str {
	const char *s;
	size_t len;
};

/* A user as the reader hands it out: every string checked. */
struct tsnss_pw {
	uint32_t uid, gid;
	struct tsnss_str name, login, gecos, home, shell;
	uint32_t gids_first, n_gids;
	int variant; /* found by a variant's name: [program] leaves it be */
};

struct tsnss_prog {
	struct tsnss_str path, home, shell; /* len 0: not set */
};

struct tsnss_gr {
	uint32_t gid;
	struct tsnss_str name;
	uint32_t members_first, n_members;
};

/*
 * Results of the lookups below: FOUND with *out filled, NONE for a clean
 * miss (or past the end of an enumeration), BAD when a record or offset
 * on the way is outside the file or breaks a rule (uid or gid 0 among
 * them): the file is not to be trusted.
 */
enum { TSNSS_SNAP_FOUND = 0, TSNSS_SNAP_NONE = 1, TSNSS_SNAP_BAD = -1 };

/* Write a reason into err (unless errlen is 0); returns -1. */
int tsnss_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 0, or -1 with a reason in err (errlen may be 0). */
int tsnss_snap_open(struct tsnss_snap *v, const void *base, size_t len,
    char *err, size_t errlen);
int tsnss_snap_verify(const struct tsnss_snap *v, char *err, size_t errlen);

/* The checksum tsnss_snap_verify() expects in a file of len bytes. */
uint64_t tsnss_snap_checksum(const unsigned char *base, size_t len);

/* FNV-1a 64, a byte at a time, on from h (TSNSS_FNV64_BASIS to start). */
#define TSNSS_FNV64_BASIS 14695981039346656037ull
uint64_t tsnss_fnv1a64(uint64_t h, const void *p, size_t n);

int tsnss_snap_user_by_name(
    const struct tsnss_snap *v, const char *name, struct tsnss_pw *out);
int tsnss_snap_user_by_uid(
    const struct tsnss_snap *v, uint32_t uid, struct tsnss_pw *out);
/* A user by name, or else the user a variant of that name stands for. */
int tsnss_snap_login_by_name(
    const struct tsnss_snap *v, const char *name, struct tsnss_pw *out);
/* The [program] section for an executable's path. */
int tsnss_snap_program(
    const struct tsnss_snap *v, const char *path, struct tsnss_prog *out);
int tsnss_snap_user_at(
    const struct tsnss_snap *v, uint32_t index, struct tsnss_pw *out);
int tsnss_snap_group_by_name(
    const struct tsnss_snap *v, const char *name, struct tsnss_gr *out);
int tsnss_snap_group_by_gid(
    const struct tsnss_snap *v, uint32_t gid, struct tsnss_gr *out);
int tsnss_snap_group_at(
    const struct tsnss_snap *v, uint32_t index, struct tsnss_gr *out);

/* A user's subordinate range: FOUND, NONE (it has none) or BAD. */
int tsnss_snap_subid_by_name(
    const struct tsnss_snap *v, const char *name, struct tsnss_snap_subid *out);
/* The index-th range (index < n_subids): FOUND or BAD; NONE past the end. */
int tsnss_snap_subid_at(
    const struct tsnss_snap *v, uint32_t index, struct tsnss_snap_subid *out);

/* The i-th member of g (i < g->n_members): 0, or -1 if the file is bad. */
int tsnss_snap_member(const struct tsnss_snap *v, const struct tsnss_gr *g,
    uint32_t i, struct tsnss_str *out);
/* The i-th supplementary gid of u (i < u->n_gids); 0 if the file is bad. */
uint32_t tsnss_snap_user_gid(
    const struct tsnss_snap *v, const struct tsnss_pw *u, uint32_t i);

#endif
