/*
 * request.c - answer one request from the snapshot in hand.
 *
 * The encoding is common/wire.c's, shared with the stub; the search is
 * common/snapfile.c's, the stub's own reader.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "request.h"
#include "policy.h"
#include "snapshot.h"
#include "wire.h"
#include "xmalloc.h"

static int
is_name_action(uint32_t action)
{
	return action == TSNSS_PW_BYNAME || action == TSNSS_GR_BYNAME ||
	       action == TSNSS_INITGROUPS;
}

int
request_is_name(const struct tsnss_header *h, const unsigned char *key)
{
	char name[TSNSS_MAX_KEY + 1];

	if (h->code != TSNSS_PW_BYNAME && h->code != TSNSS_INITGROUPS &&
	    h->code != TSNSS_HINT)
		return 0;
	memcpy(name, key, h->len);
	name[h->len] = '\0';
	return strlen(name) == h->len && policy_valid_name(name);
}

int
request_check_header(const struct tsnss_header *h, size_t *keylen)
{
	if (h->magic != TSNSS_MAGIC || h->version != TSNSS_VERSION)
		return -1;
	switch (h->code) {
	case TSNSS_PW_BYNAME:
	case TSNSS_GR_BYNAME:
	case TSNSS_INITGROUPS:
	case TSNSS_CTL_FORGET:
		if (h->len == 0 || h->len > TSNSS_MAX_KEY)
			return -1;
		break;
	case TSNSS_HINT:
		if (h->len == 0 || h->len > TSNSS_MAX_KEY)
			return -1;
		break;
	case TSNSS_CTL_STATUS:
	case TSNSS_CTL_REFRESH:
		if (h->len != 0)
			return -1;
		break;
	case TSNSS_PW_BYUID:
	case TSNSS_PW_BYINDEX:
	case TSNSS_GR_BYGID:
	case TSNSS_GR_BYINDEX:
		if (h->len != sizeof(uint32_t))
			return -1;
		break;
	default:
		return -1;
	}
	*keylen = h->len;
	return 0;
}

static void
put_header(struct evbuffer *out, unsigned status, size_t len)
{
	struct tsnss_header h;

	tsnss_header_init(&h, status, len);
	evbuffer_add(out, &h, sizeof h);
}

void
request_reply_status(struct evbuffer *out, unsigned status)
{
	put_header(out, status, 0);
}

/* A payload of len bytes, handed to out without a copy. */
static unsigned char *
payload(size_t len)
{
	return xmalloc(len > 0 ? len : 1);
}

static void
drop_payload(const void *data, size_t len, void *arg)
{
	free((void *)data);
}

static void
send_payload(struct evbuffer *out, unsigned char *p, size_t len)
{
	put_header(out, TSNSS_OK, len);
	if (evbuffer_add_reference(out, p, len, drop_payload, NULL) != 0)
		free(p);
}

static void
encode_user(const struct tsnss_pw *u, struct evbuffer *out)
{
	size_t len = tsnss_wire_pw_size(u);
	unsigned char *p = payload(len);

	tsnss_wire_put_pw(p, u);
	send_payload(out, p, len);
}

static int
encode_group(
    const struct tsnss_snap *v, const struct tsnss_gr *g, struct evbuffer *out)
{
	struct tsnss_str m;
	unsigned char *p, *at;
	size_t len = 0;
	uint32_t i;

	for (i = 0; i < g->n_members; i++) {
		if (tsnss_snap_member(v, g, i, &m) != 0)
			return -1;
		len += 4 + m.len;
	}
	len = tsnss_wire_gr_size(g, len);
	if (len > TSNSS_MAX_REPLY || g->n_members > TSNSS_MAX_MEMBERS)
		return -1;
	at = p = payload(len);
	at = tsnss_wire_put_gr(at, g);
	for (i = 0; i < g->n_members; i++) {
		(void)tsnss_snap_member(v, g, i, &m); /* checked above */
		at = tsnss_wire_put_str(at, &m);
	}
	send_payload(out, p, len);
	return 0;
}

static void
encode_gids(
    const struct tsnss_snap *v, const struct tsnss_pw *u, struct evbuffer *out)
{
	size_t len = 4 + (size_t)u->n_gids * 4;
	unsigned char *p = payload(len), *at;
	uint32_t i;

	at = tsnss_wire_put_u32(p, u->n_gids);
	for (i = 0; i < u->n_gids; i++)
		at = tsnss_wire_put_u32(at, tsnss_snap_user_gid(v, u, i));
	send_payload(out, p, len);
}

static int
find_user(const struct tsnss_snap *v, uint32_t action, const char *name,
    uint32_t id, struct tsnss_pw *u)
{
	switch (action) {
	case TSNSS_PW_BYNAME:
	case TSNSS_INITGROUPS:
		return tsnss_snap_login_by_name(v, name, u);
	case TSNSS_PW_BYUID:
		return tsnss_snap_user_by_uid(v, id, u);
	default:
		return tsnss_snap_user_at(v, id, u);
	}
}

static int
find_group(const struct tsnss_snap *v, uint32_t action, const char *name,
    uint32_t id, struct tsnss_gr *g)
{
	switch (action) {
	case TSNSS_GR_BYNAME:
		return tsnss_snap_group_by_name(v, name, g);
	case TSNSS_GR_BYGID:
		return tsnss_snap_group_by_gid(v, id, g);
	default:
		return tsnss_snap_group_at(v, id, g);
	}
}

static int
is_group_action(uint32_t action)
{
	return action == TSNSS_GR_BYNAME || action == TSNSS_GR_BYGID ||
	       action == TSNSS_GR_BYINDEX;
}

/* Append the reply; returns the status sent. */
static int
lookup(const struct tsnss_snap *v, uint32_t action, const char *name,
    uint32_t id, struct evbuffer *out)
{
	struct tsnss_pw u;
	struct tsnss_gr g;
	int rc;

	if (is_group_action(action))
		rc = find_group(v, action, name, id, &g);
	else
		rc = find_user(v, action, name, id, &u);
	if (rc == TSNSS_SNAP_NONE) {
		request_reply_status(out, TSNSS_NOTFOUND);
		return TSNSS_NOTFOUND;
	}
	if (rc == TSNSS_SNAP_FOUND && action == TSNSS_INITGROUPS)
		encode_gids(v, &u, out);
	else if (rc == TSNSS_SNAP_FOUND && !is_group_action(action))
		encode_user(&u, out);
	else if (rc != TSNSS_SNAP_FOUND || encode_group(v, &g, out) != 0) {
		request_reply_status(out, TSNSS_UNAVAIL);
		return TSNSS_UNAVAIL;
	}
	return TSNSS_OK;
}

int
request_answer(const struct snapshot *s, const struct tsnss_header *h,
    const unsigned char *key, int enumerate, struct evbuffer *out)
{
	char name[TSNSS_MAX_KEY + 1];
	uint32_t id = 0;

	if (s == NULL) {
		request_reply_status(out, TSNSS_UNAVAIL);
		return TSNSS_UNAVAIL;
	}
	/* enumerate = no: a very large tailnet is not listed wholesale */
	if (!enumerate &&
	    (h->code == TSNSS_PW_BYINDEX || h->code == TSNSS_GR_BYINDEX)) {
		request_reply_status(out, TSNSS_NOTFOUND);
		return TSNSS_NOTFOUND;
	}
	if (h->len == sizeof id)
		memcpy(&id, key, sizeof id);
	memcpy(name, key, h->len);
	name[h->len] = '\0';
	/* A name with a NUL inside would match a shorter one: refuse it. */
	if (is_name_action(h->code) && strlen(name) != h->len) {
		request_reply_status(out, TSNSS_NOTFOUND);
		return TSNSS_NOTFOUND;
	}
	return lookup(&s->v, h->code, name, id, out);
}
