/*
 * publish.c - put the snapshot where the NSS stub maps it.
 *
 * The new file is written whole under a temporary name, made read-only
 * for everyone but us, and renamed over the old one, so no reader ever
 * sees a partial file.  Only then is the old file marked superseded:
 * a reader that sees the mark finds the new file already in place.  A
 * published file is never written again otherwise, and never truncated
 * (a reader's mapping of it would fault).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
	int fd; /* the file now published, to mark it later; -1: none */
};

struct publisher *
publisher_new(const char *path)
{
	struct publisher *p = xcalloc(1, sizeof *p);

	p->path = xstrdup(path);
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
let_go(struct publisher *p)
{
	if (p->fd < 0)
		return;
	mark_superseded(p->fd);
	close(p->fd);
	p->fd = -1;
}

int
publisher_publish(
    struct publisher *p, const struct snapshot *s, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd;

	snprintf(tmp, sizeof tmp, "%s.tmp", p->path);
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
	if (rename(tmp, p->path) != 0) {
		snprintf(
		    err, errlen, "rename to %s: %s", p->path, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	let_go(p);
	p->fd = fd;
	return 0;
}

int
publisher_fd(const struct publisher *p)
{
	return p->fd;
}

void
publisher_withdraw(struct publisher *p)
{
	if (p == NULL || p->fd < 0)
		return;
	unlink(p->path);
	let_go(p);
}

void
publisher_free(struct publisher *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->path);
	free(p);
}
