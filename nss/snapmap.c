/*
 * snapmap.c - the snapshot tsnssd publishes, mapped read-only once per
 * process and looked up with no IPC.
 *
 * Trust: the file is used only if it is a regular file (no symlink on
 * the last step), owned by root or by the owner of its directory, and
 * writable by nobody else; the directory is a real directory writable by
 * its owner alone, part of the same mount as its parent (same device, and
 * same mount id where the kernel gives one), which only root can write.
 * So only root or tsnssd's own user can have put it there: a file system
 * or a directory mounted over it (a user's own tmpfs, or a directory of
 * theirs bind-mounted, in a user namespace that root later enters) could
 * be anyone's.
 *
 * Freshness without a stat() per lookup: before replacing the published
 * file, tsnssd renames the new one over it and then sets `superseded` in
 * the old one's header, which every mapping of it sees.  A tsnssd that was
 * killed cannot set it, and a directory made afresh (systemd's
 * RuntimeDirectory=) leaves no old file for the next one to mark; so a
 * lookup also reads a coarse clock (vDSO, no system call), and at most once
 * a second stats the path to see that it still names the mapped file, and
 * checks the serve-until time then or when it falls due, whichever is
 * first.
 *
 * One mutex guards the mapping, and a lookup holds it from acquire to
 * release, copying what it needs into the caller's buffer meanwhile: a
 * mapping is replaced and unmapped only when no thread is inside it.
 * fork() takes the lock first (pthread_atfork), so the child never
 * inherits it held.  The descriptor is closed once mapped: nothing leaks
 * into exec.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nss-tailscale.h"

#ifndef TSNSSD_MAP_PATH
#error "TSNSSD_MAP_PATH must be defined (the Makefile passes it)"
#endif

struct mapping {
	void *addr; /* NULL: none */
	size_t len;
	struct tsnss_snap v;
	dev_t dev; /* the file mapped, to tell when the path names another */
	ino_t ino;
	int64_t stat_ms;  /* coarse_ms() at which to lstat the path again */
	int64_t check_ms; /* that, or serve-until falling due if sooner */
};

static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mapping cur;   /* guarded by map_lock */
static int64_t next_look_ms; /* guarded by map_lock */

/* CLOCK_MONOTONIC at a tick's resolution: read from the vDSO, no syscall. */
static int64_t
coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
lock_map(void)
{
	pthread_mutex_lock(&map_lock);
}

static void
unlock_map(void)
{
	pthread_mutex_unlock(&map_lock);
}

__attribute__((constructor)) static void
init_fork_safety(void)
{
	pthread_atfork(lock_map, unlock_map, unlock_map);
}

static int
writable_by_others(const struct stat *st)
{
	return (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

/*
 * The mount a file is on (path relative to dirfd; "" for dirfd itself), or
 * 0 when the kernel does not say (before Linux 5.8, or statx filtered):
 * then the device alone tells a mount over the directory.
 */
static uint64_t
mount_id(int dirfd, const char *path)
{
	struct statx sx;

	if (statx(dirfd, path, AT_EMPTY_PATH, STATX_MNT_ID, &sx) != 0 ||
	    !(sx.stx_mask & STATX_MNT_ID))
		return 0;
	return sx.stx_mnt_id;
}

/* Whether the directory at fd is a mount point, not part of up's mount. */
static int
mounted_over(int fd, const struct stat *st, dev_t up_dev, const char *up)
{
	uint64_t mine, theirs;

	if (st->st_dev != up_dev)
		return 1;
	mine = mount_id(fd, "");
	theirs = mount_id(AT_FDCWD, up);
	return mine != 0 && theirs != 0 && mine != theirs;
}

/* The directory: its fd, or -1.  *owner is who may own the file. */
static int
open_dir(uid_t *owner, char *err, size_t errlen)
{
	char path[] = TSNSSD_MAP_PATH, parent[] = TSNSSD_MAP_PATH;
	const char *dir = dirname(path), *up = dirname(dirname(parent));
	struct stat st;
	dev_t up_dev;
	int fd;

	if (stat(up, &st) != 0 || st.st_uid != 0 || writable_by_others(&st))
		return tsnss_errf(err, errlen,
		    "%s is not a root-owned directory only root can write", up);
	up_dev = st.st_dev;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return tsnss_errf(err, errlen, "%s: %s", dir, strerror(errno));
	if (fstat(fd, &st) != 0 || writable_by_others(&st)) {
		close(fd);
		return tsnss_errf(
		    err, errlen, "%s is writable by group or others", dir);
	}
	if (mounted_over(fd, &st, up_dev, up)) { /* could be anyone's */
		close(fd);
		return tsnss_errf(err, errlen,
		    "%s is a mount point, not part of the mount of %s", dir,
		    up);
	}
	*owner = st.st_uid;
	return fd;
}

/* The file, checked, as an fd; *st its stat. */
static int
open_file(struct stat *st, char *err, size_t errlen)
{
	char path[] = TSNSSD_MAP_PATH;
	const char *base = basename(path);
	uid_t owner = 0;
	int dfd, fd;

	if ((dfd = open_dir(&owner, err, errlen)) < 0)
		return -1;
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	close(dfd);
	if (fd < 0)
		return tsnss_errf(
		    err, errlen, "%s: %s", TSNSSD_MAP_PATH, strerror(errno));
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) ||
	    (st->st_uid != 0 && st->st_uid != owner) ||
	    writable_by_others(st) || st->st_size < 1 ||
	    (uintmax_t)st->st_size > UINT32_MAX) {
		close(fd);
		return tsnss_errf(err, errlen,
		    "%s: not a regular file of root or the directory's owner, "
		    "writable by them alone, of a sane size",
		    TSNSSD_MAP_PATH);
	}
	return fd;
}

static int
map_file(struct mapping *m, char *err, size_t errlen)
{
	struct stat st;
	size_t len;
	void *addr;
	int fd;

	if ((fd = open_file(&st, err, errlen)) < 0)
		return -1;
	len = (size_t)st.st_size;
	addr = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (addr == MAP_FAILED)
		return tsnss_errf(err, errlen, "mmap: %s", strerror(errno));
	if (tsnss_snap_open(&m->v, addr, len, err, errlen) != 0) {
		munmap(addr, len);
		return -1;
	}
	m->addr = addr;
	m->len = len;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	return 0;
}

static void
unmap(struct mapping *m)
{
	if (m->addr != NULL)
		munmap(m->addr, m->len);
	m->addr = NULL;
}

static int
superseded(const struct mapping *m)
{
	const struct tsnss_snap_header *h = m->addr;

	return __atomic_load_n(&h->superseded, __ATOMIC_ACQUIRE) != 0;
}

static int
expired(const struct mapping *m)
{
	struct timespec ts;

	if (m->v.h.serve_until == 0)
		return 0;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec >= m->v.h.serve_until;
}

/*
 * When a lookup must look past the flag next: at stat_ms, or when the
 * serve-until time falls due if that is sooner (at once if it has passed).
 */
static void
schedule(struct mapping *m, int64_t now)
{
	int64_t until = m->v.h.serve_until, due;
	struct timespec ts;

	m->check_ms = m->stat_ms;
	if (until == 0)
		return;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (until <= (int64_t)ts.tv_sec) {
		m->check_ms = now;
	} else if (until - (int64_t)ts.tv_sec <= TSNSS_RECHECK_MS / 1000) {
		due = now + (until - (int64_t)ts.tv_sec) * 1000 -
		      ts.tv_nsec / 1000000;
		if (due < m->check_ms)
			m->check_ms = due;
	}
}

/* Whether the path still names the mapped file: one lstat. */
static int
still_at_path(const struct mapping *m)
{
	struct stat st;

	return lstat(TSNSSD_MAP_PATH, &st) == 0 && st.st_dev == m->dev &&
	       st.st_ino == m->ino;
}

/* What every lookup pays: a flag in the file and a coarse clock. */
static int
usable(struct mapping *m)
{
	int64_t now;

	if (m->addr == NULL || superseded(m))
		return 0;
	now = coarse_ms();
	if (now < m->check_ms)
		return 1;
	if (expired(m))
		return 0;
	if (now >= m->stat_ms) {
		if (!still_at_path(m))
			return 0;
		m->stat_ms = now + TSNSS_RECHECK_MS;
	}
	schedule(m, now);
	return 1;
}

/* With the lock held: make cur the published file, if it is usable. */
static void
look_again(void)
{
	struct mapping fresh = {0};
	int64_t now = coarse_ms();
	int tries;

	if (cur.addr == NULL && now < next_look_ms)
		return;
	/* a newer file may land between open and check: look once more */
	for (tries = 0; tries < 3; tries++) {
		if (map_file(&fresh, NULL, 0) != 0)
			break;
		/* just opened: the path names it */
		fresh.stat_ms = now + TSNSS_RECHECK_MS;
		schedule(&fresh, now);
		if (usable(&fresh)) {
			unmap(&cur);
			cur = fresh;
			return;
		}
		unmap(&fresh);
	}
	unmap(&cur); /* superseded or expired, and nothing better */
	next_look_ms = now + TSNSS_REMAP_MS;
}

const struct tsnss_snap *
tsnss_snap_acquire(void)
{
	lock_map();
	if (!usable(&cur))
		look_again();
	if (cur.addr != NULL)
		return &cur.v;
	unlock_map();
	return NULL;
}

void
tsnss_snap_release(void)
{
	unlock_map();
}

int
tsnss_snap_probe(struct tsnss_snap_header *h, char *err, size_t errlen)
{
	struct mapping m = {0};

	if (map_file(&m, err, errlen) != 0)
		return -1;
	*h = m.v.h;
	h->superseded = superseded(&m);
	unmap(&m);
	return 0;
}
