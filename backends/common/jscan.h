/*
 * jscan.h - split a stream of JSON documents into the few values we want,
 * as bytes arrive, without holding a whole document.
 *
 * tailscaled's IPN bus sends one JSON object per line, and the first one
 * (InitialStatus) holds every peer of the tailnet: about 1.5 KB each, so
 * 150 MB for 100k peers.  Parsing that into one json-c tree would cost
 * gigabytes.  jscan only tracks structure (nesting, strings, keys); at
 * the start of every value whose parent was descended into it asks the
 * caller whether to skip it, descend into it, or capture it, and hands a
 * captured value's bytes over whole, to be parsed on its own with json-c
 * and freed.  Memory is bounded by the largest captured value
 * (max_value), never by the document.
 *
 * jscan checks the grammar of what it skips too: balanced brackets, keys
 * where keys go, strings closed with valid escapes and no control bytes,
 * literals that are true, false, null or a number.  It does not decode:
 * captured values are read by whoever parses them.
 */
#ifndef TSNSS_TS_JSCAN_H
#define TSNSS_TS_JSCAN_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

#define JSCAN_MAX_PATH 6  /* levels with known keys; deeper ones are skipped */
#define JSCAN_KEY_MAX 128 /* bytes of a key kept for matching */

enum jscan_want {
	JSCAN_SKIP,
	JSCAN_DESCEND, /* ask again for each member (ignored for scalars) */
	JSCAN_CAPTURE,
	/*
	 * DESCEND into a container that is read member by member instead of
	 * captured, and bound it as a captured value is: more than
	 * max_value bytes from its first byte to its last stops the scan.
	 * One at a time: inside it, this is DESCEND.
	 */
	JSCAN_DESCEND_BOUNDED,
};

/* key[i] is the member name at level i, or NULL inside an array. */
struct jscan_path {
	size_t depth;
	const char *key[JSCAN_MAX_PATH];
};

struct jscan_ops {
	/* first: the value's first byte ('{', '[', '"', a digit, ...) */
	enum jscan_want (*select)(
	    const struct jscan_path *p, char first, void *arg);
	/*
	 * a captured value, whole, and NUL-terminated (buf[len] == '\0');
	 * nonzero stops the scan with an error
	 */
	int (*value)(
	    const struct jscan_path *p, const char *buf, size_t len, void *arg);
	/* a top-level document ended (optional); nonzero stops the scan */
	int (*end)(void *arg);
	/*
	 * optional: a container select() descended into has closed (p is
	 * its path), so that its members can be taken together; nonzero
	 * stops the scan
	 */
	int (*close)(const struct jscan_path *p, void *arg);
};

struct jscan;

struct jscan *jscan_new(
    const struct jscan_ops *ops, void *arg, size_t max_value);
/*
 * Stricter than the default (any depth up to 512, documents one after
 * another): refuse nesting past max_depth, and with one_document, any
 * byte but a blank after the first document.
 */
void jscan_limit(struct jscan *s, size_t max_depth, int one_document);
/*
 * A select() cannot refuse: one that finds the document wrong says so
 * where its caller keeps errors.  With *flag nonzero after a select(),
 * the scan stops there, so that no later callback runs on (or writes
 * over) what was refused.
 */
void jscan_stop_on(struct jscan *s, const char *flag);
/* 0, or -1 with a sentence in err: the stream cannot be trusted further. */
int jscan_feed(
    struct jscan *s, const char *data, size_t len, char *err, size_t errlen);
/* Whether a document has begun and not ended. */
int jscan_mid_document(const struct jscan *s);
/* Whether a document has ended, and no other begun since. */
int jscan_ended(const struct jscan *s);
void jscan_reset(struct jscan *s);
void jscan_free(struct jscan *s);

#pragma GCC visibility pop

#endif
