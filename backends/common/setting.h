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

#pragma GCC visibility pop

#endif
