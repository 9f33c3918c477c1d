/*
 * publish.c - put the snapshot where the NSS stub maps it.
 *
 * The new file is written whole under a temporary name, made read-only
 * for everyone but us, and renamed over the old one, so no reader ever
 * sees a partial file.  Only then is the old file marked superseded:
 * a reader that sees the mark finds the new file already in place.  A
 * published file is never written again otherwise, and never truncated
 * (a reader's mapping of it would fault).
 *
 * The file a tsnssd that was killed left there is marked superseded the
 * same way when the first snapshot replaces it: its readers could not
 * otherwise tell before their next look at the path.  The directory is
 * made here (0755, ours) if missing: nothing else need exist before the
 * first publish.
 *
 * The worker thread publishes what it builds, the loop retries a publish
 * that failed: a mutex keeps them apart.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "publish.h"
#include "snapshot.h"
#include "xmalloc.h"

struct publisher {
	char *path;
	pthread_mutex_t lock; /* guards all below */
	int fd; /* the file now published, to mark it later; -1: none */
	unsigned
	    failures; /* publishes that failed since the last that worked */
};

struct publisher *
publisher_new(const char *path)
{
	struct publisher *p = xcalloc(1, sizeof *p);

	p->path = xstrdup(path);
	pthread_mutex_init(&p->lock, NULL);
	p->fd = -1;
	return p;
}

/*
 * Tell every mapping of the file behind fd that it is old news.  Best
 * effort: if the write fails, mappings keep the old file only until it
 * expires.  (A (void) cast does not silence warn_unused_result, which
 * glibc sets on pwrite under _FORTIFY_SOURCE, as in Debian's builds.)
 */
static void
mark_superseded(int fd)
{
	static const uint32_t one = 1;
	ssize_t n = pwrite(fd, &one, sizeof one,
	    offsetof(struct tsnss_snap_header, superseded));

	(void)n;
}

static void
let_go(int fd)
{
	if (fd < 0)
		return;
	mark_superseded(fd);
	close(fd);
}

/*
 * A snapshot file at the path that is not ours (a tsnssd before us left
 * it), open to be marked once replaced; -1 if there is none.  Only a
 * regular file that starts like a snapshot is written to.
 */
static int
open_left_behind(const char *path)
{
	struct tsnss_snap_header h;
	struct stat st;
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)sizeof h ||
	    fileio_read_all(fd, &h, sizeof h) != 0 ||
	    h.magic != TSNSS_SNAP_MAGIC) {
		close(fd);
		return -1;
	}
	return fd;
}

/* s under a temporary name, then renamed over the path: its fd, or -1. */
static int
write_file(const char *path, const struct snapshot *s, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (fileio_make_parent(path) != 0) {
		snprintf(err, errlen, "cannot make the directory of %s: %s",
		    path, strerror(errno));
		return -1;
	}
	unlink(tmp);
	fd =
	    open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || fchmod(fd, 0644) != 0 ||
	    fileio_write_all(fd, s->buf, s->len) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		snprintf(
		    err, errlen, "rename to %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	return fd;
}

/* publisher_publish() with the lock held; returns with it released. */
static int
publish_locked(struct publisher *p, struct snapshot *s, unsigned *failed,
    char *err, size_t errlen)
{
	int fd, old;

	*failed = p->failures;
	old = p->fd >= 0 ? p->fd : open_left_behind(p->path);
	fd = write_file(p->path, s, err, errlen);
	if (fd < 0) {
		if (old != p->fd)
			close(old);
		p->failures++;
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	let_go(old);
	p->fd = fd;
	p->failures = 0;
	snapshot_use_file(s, fd);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int
publisher_publish(struct publisher *p, struct snapshot *s, unsigned *failed,
    char *err, size_t errlen)
{
	pthread_mutex_lock(&p->lock);
	return publish_locked(p, s, failed, err, errlen);
}

/*
 * Never waits for the lock: the loop must not block on the worker's
 * write of a large file, and the worker's publish, newer, decides.
 */
int
publisher_republish(struct publisher *p, struct snapshot *s, unsigned *failed,
    char *err, size_t errlen)
{
	if (pthread_mutex_trylock(&p->lock) != 0)
		return 1;
	if (p->failures == 0) {
		pthread_mutex_unlock(&p->lock);
		return 1;
	}
	return publish_locked(p, s, failed, err, errlen);
}

int
publisher_failing(struct publisher *p)
{
	int failing;

	if (pthread_mutex_trylock(&p->lock) != 0)
		return 0; /* a publish is under way: its end tells */
	failing = p->failures > 0;
	pthread_mutex_unlock(&p->lock);
	return failing;
}

void
publisher_withdraw(struct publisher *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->fd >= 0) {
		unlink(p->path);
		let_go(p->fd);
		p->fd = -1;
	}
	p->failures = 0; /* nothing to publish: nothing is failing */
	pthread_mutex_unlock(&p->lock);
}

void
publisher_free(struct publisher *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	pthread_mutex_destroy(&p->lock);
	free(p->path);
	free(p);
}
