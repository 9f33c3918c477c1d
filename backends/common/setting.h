/*
 * setting.h - reading a plugin's `key = value` settings (common/plugin.h,
 * struct tsnss_setting) the same way in every backend: on error "line N:
 * KEY must be ..." in err, which the daemon shows as FILE:N.
 */
#ifndef TSNSS_SETTING_H
#define TSNSS_SETTING_H

#include <stddef.h>

#include "plugin.h"

#pragma GCC visibility push(hidden)

/* A decimal integer from lo to hi. */
int setting_long(const struct tsnss_setting *s, long lo, long hi, long *out,
    char *err, size_t errlen);

/* The same, for a size in bytes. */
int setting_size(const struct tsnss_setting *s, long lo, long hi, size_t *out,
    char *err, size_t errlen);

/* yes or no. */
int setting_bool(
    const struct tsnss_setting *s, int *out, char *err, size_t errlen);

/*
 * A backend's keys, as a table: what each key's value must be and where
 * it goes.  The plugin's init builds it on its own state and hands it,
 * with the section's settings, to settings_apply().
 */
enum setting_type {
	SETTING_LONG, /* a long from lo to hi */
	SETTING_SIZE, /* a size_t from lo to hi */
	SETTING_BOOL, /* an int, from yes or no */
	SETTING_TEXT, /* a char *, a copy of a value that is not empty */
	SETTING_PATH, /* the same, an absolute path shorter than hi if hi */
	SETTING_CALL, /* the key's own function reads it */
	SETTING_CALL_TEXT, /* the same, into a char * (as SETTING_TEXT's) */
};

typedef int setting_fn(
    void *to, const struct tsnss_setting *s, char *err, size_t errlen);

struct setting_key {
	const char *key;
	enum setting_type type;
	void *to; /* the value (a char * is freed when replaced) */
	long lo, hi;
	setting_fn *call; /* SETTING_CALL: call(to, ...) */
};

/* The keys of every backend that fetches over HTTP, with their bounds. */
#define SETTING_TRANSFER_KEYS(timeout_ms, max_bytes)                           \
	{"timeout_ms", SETTING_LONG, (timeout_ms), 10, 600000, NULL},          \
	{                                                                      \
		"max_answer_bytes", SETTING_SIZE, (max_bytes), 4096,           \
		    4294967296L, NULL                                          \
	}

/* SETTING_TEXT or SETTING_PATH alone, for a SETTING_CALL that adds to it. */
int setting_text(const struct setting_key *k, const struct tsnss_setting *s,
    char *err, size_t errlen);

/*
 * Each setting by its key among keys[0..n_keys); a key not there is an
 * error naming [section].  0, or -1 with "line N: ..." in err.
 */
int settings_apply(const struct setting_key *keys, size_t n_keys,
    const char *section, const struct tsnss_setting *settings, size_t n,
    char *err, size_t errlen);

/* The copies the keys hold (SETTING_TEXT, _PATH, _CALL_TEXT), freed. */
void settings_free(const struct setting_key *keys, size_t n_keys);

#pragma GCC visibility pop

#endif
