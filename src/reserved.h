/*
 * reserved.h - names and ids the host keeps for its own software, which
 * no tailnet login or group may take even though no account holds them
 * yet: systemd creates a DynamicUser= unit's user when the unit starts,
 * systemd-sysusers and packages create system accounts when they are
 * installed, and both reuse an account of that name if one exists.
 * Subordinate id ranges (/etc/subuid, /etc/subgid) belong to the local
 * user they are delegated to: rootless containers own files there.
 *
 *   - User= of units with DynamicUser=yes (the unit's name without User=)
 *     in RESERVED_UNIT_DIRS;
 *   - u and g lines of RESERVED_SYSUSERS_DIRS;
 *   - reserved_builtin(): common system account names;
 *   - ranges of RESERVED_SUBUID and RESERVED_SUBGID.
 *
 * Every reader is bounded (file size, line length, files, entries); what
 * is over a bound is skipped and counted, never read in part as if whole.
 */
#ifndef TSNSS_RESERVED_H
#define TSNSS_RESERVED_H

#include <stddef.h>
#include <stdint.h>

#define RESERVED_UNIT_DIRS                                                     \
	"/etc/systemd/system", "/run/systemd/system",                          \
	    "/usr/lib/systemd/system", "/lib/systemd/system"
#define RESERVED_SYSUSERS_DIRS                                                 \
	"/etc/sysusers.d", "/run/sysusers.d", "/usr/lib/sysusers.d"
#define RESERVED_SUBUID "/etc/subuid"
#define RESERVED_SUBGID "/etc/subgid"

#define RESERVED_MAX_FILE (1u << 20) /* bytes of one unit or sysusers file */
#define RESERVED_MAX_LINE 4096
#define RESERVED_MAX_FILES 8192 /* in one directory */
#define RESERVED_MAX_NAMES 65536
#define RESERVED_MAX_RANGES 262144

struct reserved;

/* What the host's files say now; never NULL. */
struct reserved *reserved_load(void);
/* From other places (tests): NULL-terminated lists of directories. */
struct reserved *reserved_load_from(const char *const *unit_dirs,
    const char *const *sysusers_dirs, const char *subuid, const char *subgid);
void reserved_free(struct reserved *r);

/*
 * Why the host keeps name ("the DynamicUser= of x.service in DIR", "in the
 * built-in list of system account names"), or NULL.  r may be NULL: then
 * only the built-in list counts.
 */
const char *reserved_name(const struct reserved *r, const char *name);
/* Why id is no tailnet uid or gid (a subordinate range), or NULL. */
const char *reserved_id(const struct reserved *r, uint32_t id);
/* The built-in list, NULL-terminated (documented in the man page). */
const char *const *reserved_builtin(void);
/* The i-th name the files reserve (not the built-in ones), or NULL past them.
 */
const char *reserved_file_name(const struct reserved *r, size_t i);
/* Files and lines left out for being over a bound or malformed. */
size_t reserved_skipped(const struct reserved *r);

/*
 * The files and directories whose change may change the answer, for
 * localwatch to stat: NULL-terminated.
 */
const char *const *reserved_watch_paths(void);

#endif
