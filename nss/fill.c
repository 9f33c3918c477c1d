/*
 * fill.c - an entry into struct passwd / struct group in the caller's
 * buffer, from the mapped snapshot or from a reply payload.
 *
 * Pure: no I/O, no allocation, no state.  A reply payload is checked
 * whole first (common/wire.c), so a malformed reply is EINVAL whatever
 * the buffer; only then is the buffer's size compared with what is
 * needed, and the struct is filled only once everything fits.  Whatever
 * the source says, uid 0 and gid 0 are never handed out.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <stdalign.h>
#include <string.h>

#include "nss-tailscale.h"

/* Where strings go: the caller's buffer, consumed from the front. */
struct space {
	char *p;
	size_t left;
};

static const struct tsnss_str no_passwd = {"*", 1};

/* Copy a string into the buffer as a C string; NULL when out of room. */
static char *
put(struct space *sp, const struct tsnss_str *f)
{
	char *s = sp->p;

	if (sp->left < f->len + 1)
		return NULL;
	memcpy(s, f->s, f->len);
	s[f->len] = '\0';
	sp->p += f->len + 1;
	sp->left -= f->len + 1;
	return s;
}

int
tsnss_fill_pw(
    const struct tsnss_pw *src, struct passwd *pw, char *buf, size_t buflen)
{
	const struct tsnss_str *f[] = {
	    &src->name, &no_passwd, &src->gecos, &src->home, &src->shell};
	struct space sp = {buf, buflen};
	char *s[sizeof f / sizeof *f];
	size_t i;

	if (src->uid == 0 || src->gid == 0 || src->name.len == 0)
		return EINVAL;
	for (i = 0; i < sizeof f / sizeof *f; i++)
		if ((s[i] = put(&sp, f[i])) == NULL)
			return ERANGE;
	pw->pw_name = s[0];
	pw->pw_passwd = s[1];
	pw->pw_uid = src->uid;
	pw->pw_gid = src->gid;
	pw->pw_gecos = s[2];
	pw->pw_dir = s[3];
	pw->pw_shell = s[4];
	return 0;
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
tsnss_fill_gr(const struct tsnss_gr *src, tsnss_member_fn *member, void *ctx,
    struct group *gr, char *buf, size_t buflen)
{
	struct space sp = {buf, buflen};
	struct tsnss_str m;
	char **mem, *name, *passwd;
	uint32_t i;

	if (src->gid == 0 || src->name.len == 0)
		return EINVAL;
	if ((mem = put_array(&sp, src->n_members)) == NULL ||
	    (name = put(&sp, &src->name)) == NULL ||
	    (passwd = put(&sp, &no_passwd)) == NULL)
		return ERANGE;
	for (i = 0; i < src->n_members; i++) {
		if (member(ctx, i, &m) != 0 || m.len == 0)
			return EINVAL;
		if ((mem[i] = put(&sp, &m)) == NULL)
			return ERANGE;
	}
	mem[src->n_members] = NULL;
	gr->gr_name = name;
	gr->gr_passwd = passwd;
	gr->gr_gid = src->gid;
	gr->gr_mem = mem;
	return 0;
}

int
tsnss_unpack_passwd(const unsigned char *p, size_t len, struct passwd *pw,
    char *buf, size_t buflen)
{
	struct tsnss_pw src;

	if (tsnss_wire_get_pw(p, len, &src) != 0)
		return EINVAL;
	return tsnss_fill_pw(&src, pw, buf, buflen);
}

/* Members of a checked payload, in order: the cursor knows where. */
static int
next_member(void *ctx, uint32_t i, struct tsnss_str *out)
{
	(void)i;
	return tsnss_get_str(ctx, out);
}

int
tsnss_unpack_group(const unsigned char *p, size_t len, struct group *gr,
    char *buf, size_t buflen)
{
	struct tsnss_cursor members;
	struct tsnss_gr src;

	if (tsnss_wire_get_gr(p, len, &src, &members) != 0)
		return EINVAL;
	return tsnss_fill_gr(&src, next_member, &members, gr, buf, buflen);
}

enum nss_status
tsnss_fill_status(int rc, int *errnop)
{
	switch (rc) {
	case 0:
		return NSS_STATUS_SUCCESS;
	case ERANGE:
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	default: /* a garbled entry: see nss-tailscale.h for why ENOENT */
		*errnop = ENOENT;
		return NSS_STATUS_UNAVAIL;
	}
}
