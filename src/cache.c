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
cache_save_bytes(const char *dir, const void *buf, size_t len, size_t max,
    char *err, size_t errlen)
{
	struct iovec iov = {(void *)buf, len};

	if (len > max) {
		snprintf(err, errlen,
		    "%s/%s: refused: %zu bytes, over max_state_bytes (%zu)",
		    dir, CACHE_FILE, len, max);
		return -1;
	}
	return fileio_replace(dir, CACHE_FILE, &iov, 1, err, errlen);
}

int
cache_save(const char *dir, const struct snapshot *s, size_t max, char *err,
    size_t errlen)
{
	return cache_save_bytes(dir, s->buf, s->len, max, err, errlen);
}

struct snapshot *
cache_load(
    const char *dir, uint32_t policy, size_t max, char *err, size_t errlen)
{
	char path[PATH_MAX], why[256];
	struct snapshot *s;
	size_t size;
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, CACHE_FILE);
	if ((fd = fileio_open_state(path, max, &size, err, errlen)) < 0)
		return NULL;
	s = snapshot_map(fd, size, why, sizeof why);
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
