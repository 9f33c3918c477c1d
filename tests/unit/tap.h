/*
 * tap.h - the smallest TAP producer that serves: automake's tap-driver
 * counts each "ok"/"not ok" line, so every check is a test of its own.
 */
#ifndef TSNSS_TAP_H
#define TSNSS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline __attribute__((format(printf, 2, 3))) int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

#define is_int(got, want, what)                                                \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		if (!ok(g_ == w_, "%s", what))                                 \
			printf("#   got %lld, want %lld\n", g_, w_);           \
	} while (0)

#define is_str(got, want, what)                                                \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		if (!ok(g_ && w_ && strcmp(g_, w_) == 0, "%s", what))          \
			printf("#   got \"%s\", want \"%s\"\n",                \
			    g_ ? g_ : "(null)", w_ ? w_ : "(null)");           \
	} while (0)

/* A whole file, NUL-terminated (*len leaves the NUL out); NULL if not. */
static inline char *
tap_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf != NULL) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
