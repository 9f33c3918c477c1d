/*
 * subidfile.h - the one reader of /etc/subuid and /etc/subgid, for all
 * that tsnssd needs of them: the ids no tailnet login may take
 * (reserved.c), where its own subordinate ranges may go (subid.c), and
 * the overlaps tsnssd -t warns about (rangecheck.c).
 *
 * Lines are OWNER:START:COUNT, as newuidmap reads them.  Blank lines and
 * comments are passed over; any other line that is not one (or that is
 * longer than SUBIDFILE_MAX_LINE) is skipped and counted, never read in
 * part as if whole.  A file larger than SUBIDFILE_MAX_BYTES, or not a
 * regular file (a FIFO must not hang tsnssd), is not read at all.
 */
#ifndef TSNSS_SUBIDFILE_H
#define TSNSS_SUBIDFILE_H

#include <stddef.h>
#include <stdint.h>

#define SUBIDFILE_MAX_BYTES (8u << 20)
#define SUBIDFILE_MAX_LINE 512
#define SUBIDFILE_MAX_OWNER 64 /* longer is no name useradd gives */

struct subidfile_range {
	const char *owner; /* a user name or a uid, as the file has it */
	uint32_t start;
	uint32_t count; /* at least 1 */
};

/*
 * fn(range, arg) for each range of path, in file order, until fn returns
 * non-zero.  Returns how many lines were skipped; a file that is there
 * but was not read counts as one.  A missing file has no ranges.
 */
size_t subidfile_each(const char *path,
    int (*fn)(const struct subidfile_range *r, void *arg), void *arg);

#endif
