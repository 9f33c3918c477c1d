/*
 * unpack.c - from a reply payload to struct passwd / struct group.
 *
 * Each payload is checked whole before a byte goes to the caller, so a
 * malformed reply leaves the caller's struct untouched; only then is the
 * buffer's size compared with what is needed.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <stdalign.h>
#include <string.h>

#include "nss-tailscale.h"

struct cursor {
	const unsigned char *p;
	size_t left;
};

struct field {
	const char *s;
	uint32_t len;
};

static int
get_u32(struct cursor *c, uint32_t *v)
{
	if (c->left < sizeof *v)
		return -1;
	memcpy(v, c->p, sizeof *v);
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
put(char **buf, size_t *left, const struct field *f)
{
	char *s = *buf;

	if (*left < (size_t)f->len + 1)
		return NULL;
	memcpy(s, f->s, f->len);
	s[f->len] = '\0';
	*buf += f->len + 1;
	*left -= f->len + 1;
	return s;
}

int
tsnss_unpack_passwd(const unsigned char *p, size_t len, struct passwd *pw,
    char *buf, size_t buflen)
{
	struct cursor c = {p, len};
	struct field f[5]; /* name, passwd, gecos, dir, shell */
	char *s[5];
	uint32_t uid, gid;
	int i;

	if (get_u32(&c, &uid) != 0 || get_u32(&c, &gid) != 0)
		return EINVAL;
	for (i = 0; i < 5; i++)
		if (get_str(&c, &f[i]) != 0)
			return EINVAL;
	if (c.left != 0 || f[0].len == 0)
		return EINVAL;
	for (i = 0; i < 5; i++)
		if ((s[i] = put(&buf, &buflen, &f[i])) == NULL)
			return ERANGE;
	pw->pw_uid = uid;
	pw->pw_gid = gid;
	pw->pw_name = s[0];
	pw->pw_passwd = s[1];
	pw->pw_gecos = s[2];
	pw->pw_dir = s[3];
	pw->pw_shell = s[4];
	return 0;
}

/* Check a group payload; leaves c at the first member. */
static int
check_group(struct cursor *c, uint32_t *gid, uint32_t *n, struct field *name,
    struct field *passwd)
{
	struct cursor m;
	struct field f;
	uint32_t i;

	if (get_u32(c, gid) != 0 || get_u32(c, n) != 0 ||
	    *n > TSNSS_MAX_MEMBERS || get_str(c, name) != 0 ||
	    get_str(c, passwd) != 0 || name->len == 0)
		return -1;
	m = *c;
	for (i = 0; i < *n; i++)
		if (get_str(&m, &f) != 0 || f.len == 0)
			return -1;
	return m.left == 0 ? 0 : -1;
}

int
tsnss_unpack_group(const unsigned char *p, size_t len, struct group *gr,
    char *buf, size_t buflen)
{
	struct cursor c = {p, len};
	struct field name, passwd, f;
	uint32_t gid, n, i;
	size_t pad, ptrs;
	char **mem, *s_name, *s_passwd;

	if (check_group(&c, &gid, &n, &name, &passwd) != 0)
		return EINVAL;
	/* the member pointer array goes first, aligned */
	pad = (alignof(char *) - (uintptr_t)buf % alignof(char *)) %
	      alignof(char *);
	ptrs = ((size_t)n + 1) * sizeof(char *);
	if (buflen < pad || buflen - pad < ptrs)
		return ERANGE;
	mem = (char **)(void *)(buf + pad);
	buf += pad + ptrs;
	buflen -= pad + ptrs;
	if ((s_name = put(&buf, &buflen, &name)) == NULL ||
	    (s_passwd = put(&buf, &buflen, &passwd)) == NULL)
		return ERANGE;
	for (i = 0; i < n; i++) {
		get_str(&c, &f); /* checked above */
		if ((mem[i] = put(&buf, &buflen, &f)) == NULL)
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

	if (get_u32(&c, count) != 0 || *count > TSNSS_MAX_MEMBERS ||
	    c.left != (size_t)*count * sizeof(uint32_t))
		return EINVAL;
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
	default:
		*errnop =
		    ENOENT; /* a garbled answer: as if we were not there */
		return NSS_STATUS_UNAVAIL;
	}
}
