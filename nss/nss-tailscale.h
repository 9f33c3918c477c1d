/*
 * nss-tailscale.h - libnss_tailscale.so.2: its NSS entry points, and the
 * internals shared by its files (and by tsnssctl, the unit test and the
 * fuzzer, which link client.c and unpack.c as they are).
 *
 * The stub is loaded into every process on the host, setuid ones
 * included, so it links libc alone, keeps no state but the enumeration
 * indexes, never prints, never aborts and never raises SIGPIPE.  Only the
 * _nss_tailscale_* entry points are exported; everything else is static
 * or hidden, and hidden names start with tsnss_.
 *
 * How answers map to NSS statuses (*errnop in brackets):
 *
 *   SUCCESS             the entry, whole
 *   NOTFOUND (ENOENT)   tsnssd has no such entry, or the enumeration ended
 *   TRYAGAIN (ERANGE)   the caller's buffer is short: glibc retries bigger
 *   TRYAGAIN (ENOMEM)   malloc failed
 *   UNAVAIL  (ENOENT)   anything else: no socket, nobody listening, a
 *                       timeout, the caller is tsnssd itself, tsnssd has no
 *                       snapshot yet, or a reply that breaks the protocol
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
 * Everything one request may take, from socket() to the last byte of the
 * reply, in milliseconds of CLOCK_MONOTONIC.  The stub runs inside sshd
 * and login: a hung tsnssd must cost a lookup this much and no more.
 */
#define TSNSS_TIMEOUT_MS 500

/* No such name can exist in tsnssd: spare it the question. */
static inline int
tsnss_bad_name(const char *name, size_t *n)
{
	*n = __builtin_strlen(name);
	return *n == 0 || *n > TSNSS_MAX_KEY;
}

struct tsnss_reply {
	unsigned char *payload; /* malloc'd, len bytes; NULL when len is 0 */
	size_t len;
};

/*
 * Ask tsnssd once: connect to TSNSSD_SOCKET_PATH, send the request, read
 * and check the reply's header and framing.  SUCCESS hands over the
 * payload, which the caller frees; any other status has set *errnop (as
 * in the table above) and left nothing to free.  errno is preserved
 * unless errnop points at it.  Keys longer than TSNSS_MAX_KEY are
 * NOTFOUND without asking.
 */
enum nss_status tsnss_ask(uint32_t action, const void *key, size_t keylen,
    struct tsnss_reply *reply, int *errnop);

/*
 * Payload to struct, every string and the gr_mem array inside
 * (buf, buflen).  Pure functions, no I/O: the unit test and the fuzzer
 * call them directly.  They return 0, ERANGE (buf too small) or EINVAL
 * (malformed payload).  The payload is checked whole before the buffer
 * is looked at, and the struct is written only on success.
 */
int tsnss_unpack_passwd(const unsigned char *p, size_t len, struct passwd *pw,
    char *buf, size_t buflen);
int tsnss_unpack_group(const unsigned char *p, size_t len, struct group *gr,
    char *buf, size_t buflen);

/*
 * A gids payload: 0 with *count set, or EINVAL.  The gids are then read
 * in place with tsnss_gid_at(p, i) for i < *count: no copy, no limit on
 * the caller's side beyond TSNSS_MAX_MEMBERS.
 */
int tsnss_unpack_gids(const unsigned char *p, size_t len, uint32_t *count);
uint32_t tsnss_gid_at(const unsigned char *p, uint32_t i);

/*
 * An unpack result as an NSS status: 0 is SUCCESS, ERANGE is TRYAGAIN
 * with *errnop ERANGE, anything else UNAVAIL with *errnop ENOENT.
 */
enum nss_status tsnss_unpack_status(int rc, int *errnop);

/*
 * One NSS map (passwd or group): its three lookups, how to unpack an
 * entry, and the enumeration index.  Enumeration keeps nothing but the
 * index: tsnssd answers "the i-th entry" with no per-client state, and
 * NOTFOUND ends the list.
 */
struct tsnss_map {
	uint32_t by_name, by_id, by_index; /* enum tsnss_action */
	int (*unpack)(const unsigned char *p, size_t len, void *ent, char *buf,
	    size_t buflen);
	pthread_mutex_t lock; /* guards index */
	uint32_t index;
};

enum nss_status tsnss_map_by_name(struct tsnss_map *m, const char *name,
    void *ent, char *buf, size_t buflen, int *errnop);
enum nss_status tsnss_map_by_id(struct tsnss_map *m, uint32_t id, void *ent,
    char *buf, size_t buflen, int *errnop);
enum nss_status tsnss_map_rewind(struct tsnss_map *m);
enum nss_status tsnss_map_next(
    struct tsnss_map *m, void *ent, char *buf, size_t buflen, int *errnop);

#pragma GCC visibility pop

#endif
