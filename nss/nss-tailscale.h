/*
 * nss-tailscale.h - libnss_tailscale.so.2: its NSS entry points, and the
 * internals shared by its files (and by tsnssctl, the unit test and the
 * fuzzer, which link client.c and unpack.c as they are).
 *
 * The stub is loaded into every process on the host, setuid ones
 * included, so it links libc alone, never prints, never aborts and never
 * raises SIGPIPE.  Only the _nss_tailscale_* entry points are exported;
 * everything else is static or hidden, and hidden names start with tsnss_.
 *
 * Where answers come from (lookup.c):
 *   1. the snapshot tsnssd publishes (snapmap.c): mapped read-only once
 *      per process, trusted only if root or tsnssd owns it and its
 *      directory is no mount point, let go within a second of the path
 *      naming another file or none; a hit or a miss there is the answer,
 *      with no IPC;
 *   2. without a usable map, tsnssd's socket (client.c), one request per
 *      lookup under one deadline; after a timeout or refusal, the socket
 *      is not tried again for a few seconds.
 * Process state: the mapping, the "tsnssd is down" moment, the hint rate
 * limit and the enumeration indexes; each has its own lock or is atomic.
 *
 * How answers map to NSS statuses (*errnop in brackets):
 *
 *   SUCCESS             the entry, whole
 *   NOTFOUND (ENOENT)   tsnssd has no such entry, or the enumeration ended
 *   TRYAGAIN (ERANGE)   the caller's buffer is short: glibc retries bigger
 *   TRYAGAIN (ENOMEM)   malloc failed
 *   UNAVAIL  (ENOENT)   anything else: no map and no socket, nobody
 *                       listening, a timeout, tsnssd recently down, the
 *                       caller is tsnssd itself, tsnssd has no snapshot
 *                       yet, a map or reply that breaks the format, or an
 *                       entry with uid or gid 0
 *
 * UNAVAIL is always ENOENT, garbage included (not EIO): when this is the
 * last source, glibc's getpwnam_r returns *errnop to its caller, and
 * sshd, systemd and friends take anything but 0 or ENOENT as a failed
 * lookup rather than "no such user".  A broken tsnssd must cost no more
 * than its own users; what went wrong is for tsnssd's log and tsnssctl.
 */
#ifndef NSS_TAILSCALE_H
#define NSS_TAILSCALE_H

#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"
#include "snapfile.h"
#include "wire.h"

/*
 * The entry points glibc looks up by name.  glibc's headers do not
 * declare them, so they are declared here, with the prototypes glibc
 * calls them through.
 */
#define TSNSS_EXPORT __attribute__((visibility("default")))

TSNSS_EXPORT enum nss_status _nss_tailscale_getpwnam_r(
    const char *name, struct passwd *pw, char *buf, size_t buflen, int *errnop);
TSNSS_EXPORT enum nss_status _nss_tailscale_getpwuid_r(
    uid_t uid, struct passwd *pw, char *buf, size_t buflen, int *errnop);
TSNSS_EXPORT enum nss_status _nss_tailscale_setpwent(int stayopen);
TSNSS_EXPORT enum nss_status _nss_tailscale_getpwent_r(
    struct passwd *pw, char *buf, size_t buflen, int *errnop);
TSNSS_EXPORT enum nss_status _nss_tailscale_endpwent(void);

TSNSS_EXPORT enum nss_status _nss_tailscale_getgrnam_r(
    const char *name, struct group *gr, char *buf, size_t buflen, int *errnop);
TSNSS_EXPORT enum nss_status _nss_tailscale_getgrgid_r(
    gid_t gid, struct group *gr, char *buf, size_t buflen, int *errnop);
TSNSS_EXPORT enum nss_status _nss_tailscale_setgrent(int stayopen);
TSNSS_EXPORT enum nss_status _nss_tailscale_getgrent_r(
    struct group *gr, char *buf, size_t buflen, int *errnop);
TSNSS_EXPORT enum nss_status _nss_tailscale_endgrent(void);
TSNSS_EXPORT enum nss_status _nss_tailscale_initgroups_dyn(const char *user,
    gid_t group, long int *start, long int *size, gid_t **groupsp,
    long int limit, int *errnop);

#pragma GCC visibility push(hidden)

/*
 * Everything one socket request may take, from socket() to the last byte
 * of the reply, in milliseconds of CLOCK_MONOTONIC.  The stub runs inside
 * sshd and login: a hung tsnssd must cost a lookup this much and no more.
 * tsnssctl, which an admin runs by hand and may ask for a whole dump, is
 * built with a longer one.
 */
#ifndef TSNSS_TIMEOUT_MS
#define TSNSS_TIMEOUT_MS 500
#endif
/* After a timeout or refusal, answer UNAVAIL at once for this long. */
#define TSNSS_DOWN_MS 5000
/* At most one miss hint per process this often. */
#define TSNSS_HINT_MS 5000
/* With no usable map, look for one again at most this often. */
#define TSNSS_REMAP_MS 1000
/*
 * With one, see this often at most (one lstat) that the path still names
 * it: a killed tsnssd cannot mark its map superseded.  A whole number of
 * seconds.
 */
#define TSNSS_RECHECK_MS 1000

/* No such name can exist in tsnssd: spare it the question. */
static inline int
tsnss_bad_name(const char *name, size_t *n)
{
	*n = __builtin_strlen(name);
	return *n == 0 || *n > TSNSS_MAX_KEY;
}

int64_t tsnss_now_ms(void); /* CLOCK_MONOTONIC */

/* --- the socket (client.c) --------------------------------------------- */

struct tsnss_reply {
	unsigned char *payload; /* malloc'd, len bytes; NULL when len is 0 */
	size_t len;
};

/*
 * Ask tsnssd once: connect to TSNSSD_SOCKET_PATH, check that root or the
 * owner of its directory answers, send the request, read and check the
 * reply's header and framing.  SUCCESS hands over the payload, which the
 * caller frees; any other status has set *errnop (as in the table above)
 * and left nothing to free.  errno is preserved unless errnop points at
 * it.  Keys longer than TSNSS_MAX_KEY are NOTFOUND without asking.
 */
enum nss_status tsnss_ask(uint32_t action, const void *key, size_t keylen,
    struct tsnss_reply *reply, int *errnop);

/*
 * Tell tsnssd that a name missed, in case its owner just joined: sent
 * without waiting, at most once per TSNSS_HINT_MS per process, dropped
 * silently if it cannot go at once.
 */
void tsnss_hint_miss(const char *name, size_t len);

/* --- the published snapshot (snapmap.c) --------------------------------- */

/*
 * The usable snapshot, with the mapping's lock held, or NULL (no lock
 * held) when there is none: not published, not trusted, past its
 * serve-until time, or unreadable.  Every non-NULL acquire is followed
 * by one release.  Nothing may block in between.
 */
const struct tsnss_snap *tsnss_snap_acquire(void);
void tsnss_snap_release(void);

/*
 * For tsnssctl: map the published file as a lookup would, without
 * keeping it.  0 with *v's header copied, or -1 with why in err.
 */
int tsnss_snap_probe(struct tsnss_snap_header *h, char *err, size_t errlen);

/* --- into the caller's buffer (fill.c) ----------------------------------- */

/*
 * Write an entry into the caller's struct and buffer.  0, ERANGE (buf too
 * small) or EINVAL (a bad member, or uid or gid 0: never handed out).
 * The struct is written only on success.
 */
/* Room for a [program]'s expanded fields, on the caller's stack. */
struct tsnss_program_space {
	char home[1024], shell[1024];
};
/* u as the calling executable's [program] section shows it, if any. */
void tsnss_program_apply(const struct tsnss_snap *v, struct tsnss_pw *u,
    struct tsnss_program_space *sp);

int tsnss_fill_pw(
    const struct tsnss_pw *src, struct passwd *pw, char *buf, size_t buflen);
/* member(ctx, i, out) gives the i-th member; -1 makes the entry EINVAL. */
typedef int tsnss_member_fn(void *ctx, uint32_t i, struct tsnss_str *out);
int tsnss_fill_gr(const struct tsnss_gr *src, tsnss_member_fn *member,
    void *ctx, struct group *gr, char *buf, size_t buflen);

/*
 * A reply payload to struct, through the two above.  Pure functions, no
 * I/O: the unit test and the fuzzer call them directly.  The payload is
 * checked whole before the buffer is looked at.
 */
int tsnss_unpack_passwd(const unsigned char *p, size_t len, struct passwd *pw,
    char *buf, size_t buflen);
int tsnss_unpack_group(const unsigned char *p, size_t len, struct group *gr,
    char *buf, size_t buflen);

/*
 * A fill or unpack result as an NSS status: 0 is SUCCESS, ERANGE is
 * TRYAGAIN with *errnop ERANGE, anything else UNAVAIL with *errnop ENOENT.
 */
enum nss_status tsnss_fill_status(int rc, int *errnop);

/* --- one database: passwd or group (lookup.c) ---------------------------- */

/*
 * How a lookup reaches each source.  from_snap answers from a snapshot:
 * 0, ERANGE, ENOENT (no such entry) or EINVAL (the file is bad).  `how`
 * is the socket action (BYNAME, BYID or BYINDEX); name or id is its key.
 * Enumeration keeps nothing but the index: tsnssd answers "the i-th
 * entry" with no per-client state, and NOTFOUND ends the list.
 */
struct tsnss_db {
	uint32_t by_name, by_id, by_index; /* enum tsnss_action */
	int (*from_snap)(const struct tsnss_snap *v, uint32_t how,
	    const char *name, uint32_t id, void *ent, char *buf, size_t buflen);
	int (*from_reply)(const unsigned char *p, size_t len, void *ent,
	    char *buf, size_t buflen);
	int hint_misses;      /* a name miss may be someone who just joined */
	pthread_mutex_t lock; /* guards index */
	uint32_t index;
};

enum nss_status tsnss_db_by_name(struct tsnss_db *db, const char *name,
    void *ent, char *buf, size_t buflen, int *errnop);
enum nss_status tsnss_db_by_id(struct tsnss_db *db, uint32_t id, void *ent,
    char *buf, size_t buflen, int *errnop);
enum nss_status tsnss_db_rewind(struct tsnss_db *db);
enum nss_status tsnss_db_next(
    struct tsnss_db *db, void *ent, char *buf, size_t buflen, int *errnop);

#pragma GCC visibility pop

#endif
