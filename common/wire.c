/*
 * wire.c - encode and decode the fields of common/protocol.h.
 *
 * Linked into the NSS stub: libc only, no allocation, no state.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <string.h>

#include "wire.h"

#define PW_STRINGS 5 /* name, passwd, gecos, dir, shell */

static const struct tsnss_str no_passwd = {"*", 1};

void
tsnss_header_init(struct tsnss_header *h, uint32_t code, size_t len)
{
	h->magic = TSNSS_MAGIC;
	h->version = TSNSS_VERSION;
	h->code = code;
	h->len = (uint32_t)len;
}

int
tsnss_get_u32(struct tsnss_cursor *c, uint32_t *v)
{
	if (c->left < sizeof *v)
		return -1;
	memcpy(v, c->p, sizeof *v); /* p need not be aligned */
	c->p += sizeof *v;
	c->left -= sizeof *v;
	return 0;
}

int
tsnss_get_str(struct tsnss_cursor *c, struct tsnss_str *s)
{
	uint32_t n;

	if (tsnss_get_u32(c, &n) != 0 || n > TSNSS_MAX_STRING || n > c->left ||
	    memchr(c->p, '\0', n) != NULL)
		return -1;
	s->s = (const char *)c->p;
	s->len = n;
	c->p += n;
	c->left -= n;
	return 0;
}

unsigned char *
tsnss_wire_put_u32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof v);
	return p + sizeof v;
}

unsigned char *
tsnss_wire_put_str(unsigned char *p, const struct tsnss_str *s)
{
	p = tsnss_wire_put_u32(p, (uint32_t)s->len);
	memcpy(p, s->s, s->len);
	return p + s->len;
}

size_t
tsnss_wire_pw_size(const struct tsnss_pw *pw)
{
	return 2 * 4 + PW_STRINGS * 4 + pw->name.len + no_passwd.len +
	       pw->gecos.len + pw->home.len + pw->shell.len;
}

void
tsnss_wire_put_pw(unsigned char *p, const struct tsnss_pw *pw)
{
	p = tsnss_wire_put_u32(p, pw->uid);
	p = tsnss_wire_put_u32(p, pw->gid);
	p = tsnss_wire_put_str(p, &pw->name);
	p = tsnss_wire_put_str(p, &no_passwd);
	p = tsnss_wire_put_str(p, &pw->gecos);
	p = tsnss_wire_put_str(p, &pw->home);
	(void)tsnss_wire_put_str(p, &pw->shell);
}

int
tsnss_wire_get_pw(const unsigned char *p, size_t len, struct tsnss_pw *pw)
{
	struct tsnss_cursor c = {p, len};
	struct tsnss_str passwd;

	if (tsnss_get_u32(&c, &pw->uid) != 0 ||
	    tsnss_get_u32(&c, &pw->gid) != 0 ||
	    tsnss_get_str(&c, &pw->name) != 0 ||
	    tsnss_get_str(&c, &passwd) != 0 ||
	    tsnss_get_str(&c, &pw->gecos) != 0 ||
	    tsnss_get_str(&c, &pw->home) != 0 ||
	    tsnss_get_str(&c, &pw->shell) != 0 || c.left != 0 ||
	    pw->name.len == 0)
		return -1;
	pw->login = pw->name; /* not on the wire */
	pw->gids_first = pw->n_gids = 0;
	return 0;
}

size_t
tsnss_wire_gr_size(const struct tsnss_gr *gr, size_t members_bytes)
{
	return 2 * 4 + 2 * 4 + gr->name.len + no_passwd.len + members_bytes;
}

unsigned char *
tsnss_wire_put_gr(unsigned char *p, const struct tsnss_gr *gr)
{
	p = tsnss_wire_put_u32(p, gr->gid);
	p = tsnss_wire_put_u32(p, gr->n_members);
	p = tsnss_wire_put_str(p, &gr->name);
	return tsnss_wire_put_str(p, &no_passwd);
}

int
tsnss_wire_get_gr(const unsigned char *p, size_t len, struct tsnss_gr *gr,
    struct tsnss_cursor *members)
{
	struct tsnss_cursor c = {p, len};
	struct tsnss_str passwd, m;
	uint32_t i;

	if (tsnss_get_u32(&c, &gr->gid) != 0 ||
	    tsnss_get_u32(&c, &gr->n_members) != 0 ||
	    gr->n_members > TSNSS_MAX_MEMBERS ||
	    tsnss_get_str(&c, &gr->name) != 0 ||
	    tsnss_get_str(&c, &passwd) != 0 || gr->name.len == 0)
		return -1;
	*members = c;
	for (i = 0; i < gr->n_members; i++)
		if (tsnss_get_str(&c, &m) != 0 || m.len == 0)
			return -1;
	gr->members_first = 0;
	return c.left == 0 ? 0 : -1;
}

int
tsnss_wire_get_gids(const unsigned char *p, size_t len, uint32_t *count)
{
	struct tsnss_cursor c = {p, len};
	uint32_t n;

	if (tsnss_get_u32(&c, &n) != 0 || n > TSNSS_MAX_MEMBERS ||
	    c.left != (size_t)n * sizeof(uint32_t))
		return -1;
	*count = n;
	return 0;
}

uint32_t
tsnss_wire_gid_at(const unsigned char *p, uint32_t i)
{
	uint32_t gid;

	memcpy(&gid, p + sizeof(uint32_t) * (1 + (size_t)i), sizeof gid);
	return gid;
}
