/*
 * fileio.h - whole reads and writes on a descriptor, through EINTR and
 * short counts.
 */
#ifndef TSNSS_FILEIO_H
#define TSNSS_FILEIO_H

#include <stddef.h>

/* 0, or -1 with errno set. */
int fileio_write_all(int fd, const void *p, size_t n);
/* 0, or -1 with errno set (EIO for an early end of file). */
int fileio_read_all(int fd, void *p, size_t n);
/*
 * The directory path is in, made 0755 (whatever the umask) if it is
 * missing; its parent must exist.  0, or -1 with errno set.
 */
int fileio_make_parent(const char *path);
/*
 * Replace dir/name (dir made if missing) with the iovcnt pieces, so that
 * a reader sees the old file or the new one whole, also after a power
 * cut: a temporary file, fsync, rename, fsync of the directory.
 * 0, or -1 with err set.
 */
struct iovec;
int fileio_replace(const char *dir, const char *name, const struct iovec *iov,
    int iovcnt, char *err, size_t errlen);
/*
 * A state file tsnssd persisted, opened for reading only if it can be
 * trusted as the snapshot is: a regular file, ours or root's, writable by
 * no one else, of 1 to max bytes (*size).  The descriptor, or -1 with err
 * set ("" when the file is absent).
 */
int fileio_open_state(
    const char *path, size_t max, size_t *size, char *err, size_t errlen);

#endif
