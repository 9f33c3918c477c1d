/*
 * recfile.h - a small checked text file under the cache directory: the
 * claims (who owns which UID and name on this host) and the last good
 * identities.  A first line "MAGIC LENGTH CHECKSUM" guards the body, the
 * write is atomic (temporary file, fsync, rename, fsync of the directory),
 * and a reader bounds everything it takes in.
 */
#ifndef TSNSS_RECFILE_H
#define TSNSS_RECFILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Refused (-1, err set) if the file would be over max bytes: the reader
 * takes no more, and what is written must be readable at the next start.
 */
int recfile_write(const char *dir, const char *name, const char *magic,
    const char *body, size_t len, size_t max, char *err, size_t errlen);
/* recfile_write's refusal alone: 0 if len bytes of body would fit. */
int recfile_check(const char *dir, const char *name, const char *magic,
    size_t len, size_t max, char *err, size_t errlen);
/*
 * The body, NUL-terminated (*len bytes), or NULL with err set: "" when
 * the file is absent, a reason when unreadable, over max bytes, corrupt,
 * or not a state file of ours (fileio_open_state).
 */
char *recfile_read(const char *dir, const char *name, const char *magic,
    size_t max, size_t *len, char *err, size_t errlen);

/*
 * Append s to a growing buffer; with esc, as one field: '%', white space
 * and control characters become %XX.
 */
void recfile_put(char **buf, size_t *len, size_t *cap, const char *s, int esc);
/* Append v in decimal ("-" first if negative). */
void recfile_put_num(char **buf, size_t *len, size_t *cap, int64_t v);
/* Room for n more bytes and a NUL (recfile_putn's slow path). */
void recfile_grow(char **buf, size_t *len, size_t *cap, size_t n);
/*
 * Append the n bytes at s as they are.  Inline: the short pieces of a
 * line (a separator, a number) were each a call, and most of the cost.
 */
static inline void
recfile_putn(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	char *o;
	size_t i;

	if (*len + n + 1 > *cap)
		recfile_grow(buf, len, cap, n);
	o = *buf + *len;
	for (i = 0; i < n; i++)
		o[i] = s[i];
	o[n] = '\0';
	*len += n;
}
/* v in decimal, ending just before end (20 bytes are room): its start. */
char *recfile_num(char *end, int64_t v);
/* Undo recfile_put in place; -1 on a bad escape. */
int recfile_unescape(char *s);

#endif
