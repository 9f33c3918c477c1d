/*
 * recfile.c - see recfile.h.  Text rather than binary: an operator can
 * read the claims with cat, and a mistake in them is visible.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fileio.h"
#include "recfile.h"
#include "snapfile.h"
#include "xmalloc.h"

/* "MAGIC LENGTH CHECKSUM\n" */
static int
head_of(
    char *head, size_t size, const char *magic, const char *body, size_t len)
{
	return snprintf(head, size, "%s %zu %016" PRIx64 "\n", magic, len,
	    body ? tsnss_fnv1a64(TSNSS_FNV64_BASIS, body, len) : 0);
}

int
recfile_check(const char *dir, const char *name, const char *magic, size_t len,
    size_t max, char *err, size_t errlen)
{
	char head[128];
	int n = head_of(head, sizeof head, magic, NULL, len);

	/* what could not be read back at the next start is not written */
	if (len > max || (size_t)n > max - len) {
		snprintf(err, errlen,
		    "%s/%s: refused: %zu bytes, over max_state_bytes (%zu)",
		    dir, name, (size_t)n + len, max);
		return -1;
	}
	return 0;
}

int
recfile_write(const char *dir, const char *name, const char *magic,
    const char *body, size_t len, size_t max, char *err, size_t errlen)
{
	char head[128];
	int n;
	struct iovec iov[2];

	if (recfile_check(dir, name, magic, len, max, err, errlen) != 0)
		return -1;
	n = head_of(head, sizeof head, magic, body, len);
	iov[0] = (struct iovec){head, (size_t)n};
	iov[1] = (struct iovec){(void *)body, len};
	return fileio_replace(dir, name, iov, 2, err, errlen);
}

/* The whole file, at most max bytes, if it is a state file of ours. */
static char *
slurp(const char *path, size_t max, size_t *got, char *err, size_t errlen)
{
	char *buf;
	ssize_t n;
	size_t size;
	int fd = fileio_open_state(path, max, &size, err, errlen);

	if (fd < 0)
		return NULL;
	buf = xmalloc(size + 1);
	*got = 0;
	while (*got < size && (n = read(fd, buf + *got, size - *got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			free(buf);
			return NULL;
		}
		*got += (size_t)n;
	}
	close(fd);
	buf[*got] = '\0';
	return buf;
}

char *
recfile_read(const char *dir, const char *name, const char *magic, size_t max,
    size_t *len, char *err, size_t errlen)
{
	char path[PATH_MAX], *buf, *nl;
	size_t got, blen, ml = strlen(magic);
	uint64_t sum;
	int n = 0;

	err[0] = '\0';
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((buf = slurp(path, max, &got, err, errlen)) == NULL)
		return NULL;
	nl = memchr(buf, '\n', got < 128 ? got : 128);
	if (nl == NULL || (*nl = '\0', strncmp(buf, magic, ml)) != 0 ||
	    buf[ml] != ' ' ||
	    sscanf(buf + ml, " %zu %16" SCNx64 "%n", &blen, &sum, &n) != 2 ||
	    buf + ml + n != nl || blen > max ||
	    blen != got - (size_t)(nl + 1 - buf) ||
	    tsnss_fnv1a64(TSNSS_FNV64_BASIS, nl + 1, blen) != sum ||
	    memchr(nl + 1, '\0', blen) != NULL) {
		snprintf(err, errlen,
		    "%s: rejected: not a %s file, truncated "
		    "or corrupt",
		    path, magic);
		free(buf);
		return NULL;
	}
	memmove(buf, nl + 1, blen + 1);
	*len = blen;
	return buf;
}

/* Room for n more bytes and a NUL. */
static char *
reserve(char **buf, size_t *len, size_t *cap, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	return *buf + *len;
}

/*
 * '%', white space and control characters: what a field may not hold.
 * A bit per byte value (0-0x20, '%', 0x7f): three comparisons a byte
 * were most of the cost of formatting the claims.
 */
static const uint64_t escaped[4] = {0x1ffffffffULL | 1ULL << '%', 1ULL << 63};

static int
needs_escape(unsigned char c)
{
	return (int)(escaped[c >> 6] >> (c & 63) & 1);
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * Whether any of the 8 bytes of w needs escaping: a byte below 0x21, or
 * 0x7f, or '%'.  The borrow of a subtraction marks a byte below the
 * bound (only the first such byte is sure to be marked, which is all a
 * yes or no needs); bytes of 0x80 and up (UTF-8) are never marked.
 */
static int
word_needs_escape(uint64_t w)
{
	uint64_t low = (w - ONES * 0x21) & ~w;
	uint64_t del = w ^ (ONES * 0x7f), pct = w ^ (ONES * '%');

	return ((low | ((del - ONES) & ~del) | ((pct - ONES) & ~pct)) &
		   HIGHS) != 0;
}

/*
 * Eight bytes at a time where none needs escaping, as nearly none does:
 * byte by byte, the claims and identities of a large tailnet took a
 * tenth of a build to format.
 */
void
recfile_put(char **buf, size_t *len, size_t *cap, const char *s, int esc)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s), i = 0;
	char *o = reserve(buf, len, cap, esc ? n * 3 : n), *start = o;
	uint64_t w;
	unsigned char c;

	if (!esc) {
		memcpy(o, s, n);
		o += n;
		i = n;
	}
	while (i < n) {
		if (i + 8 <= n) {
			memcpy(&w, s + i, 8);
			if (!word_needs_escape(w)) {
				memcpy(o, &w, 8);
				o += 8;
				i += 8;
				continue;
			}
		}
		c = (unsigned char)s[i++];
		if (needs_escape(c)) {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	*len += (size_t)(o - start);
}

void
recfile_grow(char **buf, size_t *len, size_t *cap, size_t n)
{
	(void)reserve(buf, len, cap, n);
}

char *
recfile_num(char *end, int64_t v)
{
	/* by hand: snprintf was most of the cost of a line of numbers */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char *p = end;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*--p = '-';
	return p;
}

void
recfile_put_num(char **buf, size_t *len, size_t *cap, int64_t v)
{
	char tmp[24], *p = recfile_num(tmp + sizeof tmp, v);

	recfile_putn(buf, len, cap, p, (size_t)(tmp + sizeof tmp - p));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
recfile_unescape(char *s)
{
	char *o = s;
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (*s != '%') {
			*o++ = *s;
			continue;
		}
		if ((hi = hexval(s[1])) < 0 || (lo = hexval(s[2])) < 0 ||
		    (hi == 0 && lo == 0))
			return -1;
		*o++ = (char)(hi << 4 | lo);
		s += 2;
	}
	*o = '\0';
	return 0;
}
