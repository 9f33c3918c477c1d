/*
 * unpack.c - from a reply payload to struct passwd / struct group in the
 * caller's buffer.  Pure: no I/O, no allocation, no state.
 *
 * Each payload is checked whole first (every length against
 * TSNSS_MAX_STRING and against the bytes left, no NUL inside a string,
 * nothing after the last field), so a malformed reply is EINVAL whatever
 * the buffer; only then is the buffer's size compared with what is
 * needed, and the struct is filled only once everything fits.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <stdalign.h>
#include <string.h>

#include "nss-tailscale.h"

#define PW_FIELDS 5 /* name, passwd, gecos, dir, shell */

struct cursor {
	const unsigned char *p;
	size_t left;
};

struct field {
	const char *s;
	uint32_t len;
};

/* Where strings go: the caller's buffer, consumed from the front. */
struct space {
	char *p;
	size_t left;
};

static int
get_u32(struct cursor *c, uint32_t *v)
{
	if (c->left < sizeof *v)
		return -1;
	memcpy(v, c->p, sizeof *v); /* p need not be aligned */
	c->p += sizeof *v;
	c->left -= sizeof *v;
	return 0;
}

static int
get_str(struct cursor *c, struct field *f)
{
	if (get_u32(c, &f->len) != 0 || f->len > TSNSS_MAX_STRING ||
	    f->len > c->left || memchr(c->p, '\0', f->len) != NULL)
		return -1;
	f->s = (const char *)c->p;
	c->p += f->len;
	c->left -= f->len;
	return 0;
}

/* Copy a field into the buffer as a C string; NULL when out of room. */
static char *
put(struct space *sp, const struct field *f)
{
	char *s = sp->p;

	if (sp->left < (size_t)f->len + 1)
		return NULL;
	memcpy(s, f->s, f->len);
	s[f->len] = '\0';
	sp->p += f->len + 1;
	sp->left -= f->len + 1;
	return s;
}

int
tsnss_unpack_passwd(const unsigned char *p, size_t len, struct passwd *pw,
    char *buf, size_t buflen)
{
	struct cursor c = {p, len};
	struct space sp = {buf, buflen};
	struct field f[PW_FIELDS];
	char *s[PW_FIELDS];
	uint32_t uid, gid;
	int i;

	if (get_u32(&c, &uid) != 0 || get_u32(&c, &gid) != 0)
		return EINVAL;
	for (i = 0; i < PW_FIELDS; i++)
		if (get_str(&c, &f[i]) != 0)
			return EINVAL;
	if (c.left != 0 || f[0].len == 0)
		return EINVAL;
	for (i = 0; i < PW_FIELDS; i++)
		if ((s[i] = put(&sp, &f[i])) == NULL)
			return ERANGE;
	pw->pw_name = s[0];
	pw->pw_passwd = s[1];
	pw->pw_uid = uid;
	pw->pw_gid = gid;
	pw->pw_gecos = s[2];
	pw->pw_dir = s[3];
	pw->pw_shell = s[4];
	return 0;
}

/*
 * Check a group payload whole.  On success *members is at the first
 * member, and walking it nmembers times is known to succeed.
 */
static int
check_group(const unsigned char *p, size_t len, uint32_t *gid, uint32_t *n,
    struct field *name, struct field *passwd, struct cursor *members)
{
	struct cursor c = {p, len};
	struct field f;
	uint32_t i;

	if (get_u32(&c, gid) != 0 || get_u32(&c, n) != 0 ||
	    *n > TSNSS_MAX_MEMBERS || get_str(&c, name) != 0 ||
	    get_str(&c, passwd) != 0 || name->len == 0)
		return -1;
	*members = c;
	for (i = 0; i < *n; i++)
		if (get_str(&c, &f) != 0 || f.len == 0)
			return -1;
	return c.left == 0 ? 0 : -1;
}

/*
 * Carve the gr_mem array, n + 1 pointers, off the front of the buffer,
 * aligned for char *: the caller's buffer may start anywhere.
 */
static char **
put_array(struct space *sp, uint32_t n)
{
	size_t pad = (alignof(char *) - (uintptr_t)sp->p % alignof(char *)) %
		     alignof(char *);
	size_t size = ((size_t)n + 1) * sizeof(char *);
	char **mem;

	if (sp->left < pad || sp->left - pad < size)
		return NULL;
	mem = (char **)(void *)(sp->p + pad);
	sp->p += pad + size;
	sp->left -= pad + size;
	return mem;
}

int
tsnss_unpack_group(const unsigned char *p, size_t len, struct group *gr,
    char *buf, size_t buflen)
{
	struct space sp = {buf, buflen};
	struct field name, passwd, f;
	struct cursor members;
	char **mem, *s_name, *s_passwd;
	uint32_t gid, n, i;

	if (check_group(p, len, &gid, &n, &name, &passwd, &members) != 0)
		return EINVAL;
	if ((mem = put_array(&sp, n)) == NULL ||
	    (s_name = put(&sp, &name)) == NULL ||
	    (s_passwd = put(&sp, &passwd)) == NULL)
		return ERANGE;
	for (i = 0; i < n; i++) {
		(void)get_str(&members, &f); /* cannot fail: checked */
		if ((mem[i] = put(&sp, &f)) == NULL)
			return ERANGE;
	}
	mem[n] = NULL;
	gr->gr_name = s_name;
	gr->gr_passwd = s_passwd;
	gr->gr_gid = gid;
	gr->gr_mem = mem;
	return 0;
}

int
tsnss_unpack_gids(const unsigned char *p, size_t len, uint32_t *count)
{
	struct cursor c = {p, len};
	uint32_t n;

	if (get_u32(&c, &n) != 0 || n > TSNSS_MAX_MEMBERS ||
	    c.left != (size_t)n * sizeof(uint32_t))
		return EINVAL;
	*count = n;
	return 0;
}

uint32_t
tsnss_gid_at(const unsigned char *p, uint32_t i)
{
	uint32_t gid;

	memcpy(&gid, p + sizeof(uint32_t) * (1 + (size_t)i), sizeof gid);
	return gid;
}

enum nss_status
tsnss_unpack_status(int rc, int *errnop)
{
	switch (rc) {
	case 0:
		return NSS_STATUS_SUCCESS;
	case ERANGE:
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	default: /* a garbled reply: see nss-tailscale.h for why ENOENT */
		*errnop = ENOENT;
		return NSS_STATUS_UNAVAIL;
	}
}
