/*
 * jdoc.h - one large JSON answer read as it arrives: jscan cuts it into
 * values, json-c parses each value a parser captured, one at a time.
 *
 * What every backend's streamed parser shares (status.c, users.c, the
 * IPN bus): the scanner and the tokener, their bounds, an error found in
 * a callback kept until jdoc_feed() returns, what to say of an answer
 * that is empty, cut short or no object, and the result being built.  A
 * parser is a jdoc with callbacks and a state of its own, which the jdoc
 * holds: the callbacks' arg is the jdoc, their state d->state.
 */
#ifndef TSNSS_JDOC_H
#define TSNSS_JDOC_H

#include <stddef.h>
#include <stdint.h>

#include "jscan.h"

#pragma GCC visibility push(hidden)

struct json_object;

struct jdoc_spec {
	struct jscan_ops ops; /* called with the jdoc as arg */
	size_t size;	      /* of the parser's state, made zeroed */
	size_t result_size;   /* of what it reads, made zeroed */
	void (*result_free)(void *result); /* unless jdoc_take() took it */
	/* optional: free what the state holds (jdoc_reset(), jdoc_free()) */
	void (*state_clear)(void *state);
	size_t max_value; /* bytes of a captured value */
	size_t max_depth; /* nesting, for jscan and json-c */
	int stream;	  /* documents one after another, not just one */
	int tok_flags;	  /* json-c's, for the captured values */
	/* put before what jscan says is wrong ("bad JSON: "), or NULL */
	const char *prefix;
	/* what to say of a document that is a JSON value but no object */
	const char *not_object;
};

struct jdoc {
	const struct jdoc_spec *spec;
	void *state;  /* the parser's */
	void *result; /* what it reads, until taken */
	int own;      /* jdoc_free() frees the state */
	struct jscan *scan;
	struct json_tokener *tok;
	size_t fed;    /* bytes so far */
	int begun;     /* a byte other than a blank came */
	char err[256]; /* a callback's refusal, or "": feeding stops */
};

/*
 * A parser of one document, PREFIX_new(void): its state of type STATE,
 * whose member `result` points to what it reads, of type RESULT, freed
 * by FREE unless taken; its on_select(), on_value() and on_close(), a
 * captured value of MAX_VALUE bytes at most (and an entry it reads member
 * by member, JSCAN_DESCEND_BOUNDED), nesting of MAX_DEPTH, and any other
 * fields of its spec.
 */
#define JDOC_PARSER(                                                           \
    prefix, state_type, result_type, free_fn, max_value_, max_depth_, ...)     \
	static void prefix##_drop(void *r)                                     \
	{                                                                      \
		free_fn(r);                                                    \
	}                                                                      \
	static const struct jdoc_spec prefix##_spec = {                        \
	    .ops = {on_select, on_value, NULL, on_close},                      \
	    .size = sizeof(state_type),                                        \
	    .result_size = sizeof(result_type),                                \
	    .result_free = prefix##_drop,                                      \
	    .max_value = (max_value_),                                         \
	    .max_depth = (max_depth_),                                         \
	    __VA_ARGS__};                                                      \
	struct jdoc *prefix##_new(void)                                        \
	{                                                                      \
		struct jdoc *d = jdoc_new(&prefix##_spec, NULL);               \
                                                                               \
		if (d != NULL)                                                 \
			((state_type *)d->state)->result = d->result;          \
		return d;                                                      \
	}

/*
 * state: the parser's, or NULL for one of spec->size bytes, zeroed, that
 * jdoc_free() frees.  NULL: no memory.
 */
struct jdoc *jdoc_new(const struct jdoc_spec *spec, void *state);
/* 0, or -1 with a sentence in err: the answer is refused, stop feeding. */
int jdoc_feed(
    struct jdoc *d, const char *data, size_t len, char *err, size_t errlen);
/* Whether the document ended; if not, why not in err. */
int jdoc_ended(const struct jdoc *d, char *err, size_t errlen);
/*
 * A captured value (buf[len] is its NUL, which ends a bare number), parsed
 * strictly: NULL with "WHAT: why" in d->err if it is not JSON, NULL with
 * d->err empty if it is JSON null.
 */
struct json_object *jdoc_value(
    struct jdoc *d, const char *buf, size_t len, const char *what);
/*
 * A key as jscan kept it (escapes and all), decoded as json-c reads it:
 * into out (len bytes), cut at a NUL.  A key jscan cut is one no name
 * matches; so is one that does not decode.
 */
void jdoc_key(struct jdoc *d, const char *raw, char *out, size_t len);
/*
 * A captured JSON string, decoded: its bytes as they are (after the
 * quote) when it has no escape, as nearly all have, else json-c's reading
 * of it into *o, which the caller puts.  *n is its length, a decoded NUL
 * included.  NULL with d->err set: json-c refused it.
 */
const char *jdoc_string(struct jdoc *d, const char *buf, size_t len, size_t *n,
    struct json_object **o);
/*
 * Room for one more of the n elements of size bytes at *(T **)array, of
 * which *cap are allocated: the list a parser keeps grows as values come.
 * 0, or -1 when out of memory.
 */
int jdoc_room(void *array, size_t *cap, size_t n, size_t size);
/*
 * Whether an object's key spells id in decimal, as "%" PRId64 would: a
 * map keyed by the id of what it holds (tailscaled's User map) must agree
 * with it.  Never for a negative id.
 */
int jdoc_key_is_id(const char *key, int64_t id);
/* A new document from the start (a new connection). */
void jdoc_reset(struct jdoc *d);
/* What the parser read, now the caller's (to free with its own free). */
void *jdoc_take(struct jdoc *d);
/* The jdoc, its state if it made it, and the result unless taken. */
void jdoc_free(struct jdoc *d);

#pragma GCC visibility pop

#endif
