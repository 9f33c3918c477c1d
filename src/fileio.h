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

#endif
