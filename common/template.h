/*
 * template.h - home and shell templates: %u %l %d %U %%.
 *
 * One expander for the daemon, which applies a backend's or a [user]'s
 * template when it builds a user, and for the stub, which applies a
 * [program] section's at copy-out.  Libc only, no allocation.
 */
#ifndef TSNSS_TEMPLATE_H
#define TSNSS_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

struct tsnss_template_args {
	const char *name;   /* %u: the local name */
	const char *login;  /* %l: the whole login */
	const char *domain; /* %d: the login's domain */
	uint32_t uid;	    /* %U */
};

/*
 * Expand tmpl into out; -1 if it names an unknown escape or will not fit.
 * The result is a usable passwd field: no ':' and no control characters
 * (-1 otherwise), whatever the arguments held.
 */
int tsnss_template_expand(const char *tmpl, const struct tsnss_template_args *a,
    char *out, size_t outlen);
/* Whether tmpl uses only the escapes above. */
int tsnss_template_valid(const char *tmpl);

#endif
