/*
 * cache.c - the last good snapshot on disk, written so that a power cut
 * leaves either the old file or the new one, and read back only whole
 * and checked.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cache.h"
#include "fileio.h"
#include "snapshot.h"

#define CACHE_FILE "snapshot"

int
cache_save(const char *dir, const struct snapshot *s, char *err, size_t errlen)
{
	struct iovec iov = {s->buf, s->len};

	return fileio_replace(dir, CACHE_FILE, &iov, 1, err, errlen);
}

struct snapshot *
cache_load(const char *dir, uint32_t policy, char *err, size_t errlen)
{
	char path[PATH_MAX], why[256];
	struct snapshot *s;
	struct stat st;
	int fd;

	*err = '\0';
	snprintf(path, sizeof path, "%s/%s", dir, CACHE_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != geteuid() && st.st_uid != 0) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) || st.st_size < 1 ||
	    (uintmax_t)st.st_size > CACHE_MAX_BYTES) {
		snprintf(err, errlen,
		    "%s: not a regular file of ours, or a "
		    "bad size; ignored",
		    path);
		close(fd);
		return NULL;
	}
	s = snapshot_map(fd, (size_t)st.st_size, why, sizeof why);
	close(fd);
	if (s == NULL) {
		snprintf(err, errlen, "%s: rejected: %s", path, why);
	} else if (s->h->policy != policy) {
		snprintf(err, errlen,
		    "%s: rejected: built under another identity policy "
		    "(the config changed since)",
		    path);
		snapshot_free(s);
		s = NULL;
	}
	return s;
}
