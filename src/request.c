/*
 * request.c - answer one request from the snapshot in hand.
 *
 * The encoding is the one common/protocol.h describes; the stub checks
 * every length we write, and we check every length we read.
 */
#include "autoconfig.h"

#include <string.h>

#include <event2/buffer.h>

#include "request.h"
#include "policy.h"
#include "snapshot.h"

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

	if (h->code != TSNSS_PW_BYNAME && h->code != TSNSS_INITGROUPS)
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
put_u32(struct evbuffer *b, uint32_t v)
{
	evbuffer_add(b, &v, sizeof v);
}

static void
put_str(struct evbuffer *b, const char *s)
{
	size_t n = strlen(s);

	put_u32(b, (uint32_t)n);
	evbuffer_add(b, s, n);
}

static void
put_header(struct evbuffer *out, unsigned status, size_t len)
{
	struct tsnss_header h = {
	    TSNSS_MAGIC, TSNSS_VERSION, status, (uint32_t)len};

	evbuffer_add(out, &h, sizeof h);
}

void
request_reply_status(struct evbuffer *out, unsigned status)
{
	put_header(out, status, 0);
}

static void
encode_user(
    const struct snapshot *s, const struct snap_user *u, struct evbuffer *b)
{
	put_u32(b, u->uid);
	put_u32(b, u->gid);
	put_str(b, snapshot_str(s, u->name));
	put_str(b, "*"); /* no password: login is by key or Tailscale SSH */
	put_str(b, snapshot_str(s, u->gecos));
	put_str(b, snapshot_str(s, u->home));
	put_str(b, snapshot_str(s, u->shell));
}

static void
encode_group(
    const struct snapshot *s, const struct snap_group *g, struct evbuffer *b)
{
	uint32_t i;

	put_u32(b, g->gid);
	put_u32(b, g->n_members);
	put_str(b, snapshot_str(s, g->name));
	put_str(b, "*");
	for (i = 0; i < g->n_members; i++)
		put_str(b, snapshot_str(s, s->members[g->members_first + i]));
}

static void
encode_gids(
    const struct snapshot *s, const struct snap_user *u, struct evbuffer *b)
{
	uint32_t i;

	put_u32(b, u->n_gids);
	for (i = 0; i < u->n_gids; i++)
		put_u32(b, s->user_gids[u->gids_first + i]);
}

/* Build the payload; returns the status to send. */
static int
lookup(const struct snapshot *s, uint32_t action, const char *name, uint32_t id,
    struct evbuffer *b)
{
	const struct snap_user *u = NULL;
	const struct snap_group *g = NULL;

	switch (action) {
	case TSNSS_PW_BYNAME:
	case TSNSS_INITGROUPS:
		u = snapshot_user_by_name(s, name);
		break;
	case TSNSS_PW_BYUID:
		u = snapshot_user_by_uid(s, id);
		break;
	case TSNSS_PW_BYINDEX:
		u = snapshot_user_at(s, id);
		break;
	case TSNSS_GR_BYNAME:
		g = snapshot_group_by_name(s, name);
		break;
	case TSNSS_GR_BYGID:
		g = snapshot_group_by_gid(s, id);
		break;
	case TSNSS_GR_BYINDEX:
		g = snapshot_group_at(s, id);
		break;
	}
	if (u != NULL && action == TSNSS_INITGROUPS)
		encode_gids(s, u, b);
	else if (u != NULL)
		encode_user(s, u, b);
	else if (g != NULL)
		encode_group(s, g, b);
	else
		return TSNSS_NOTFOUND;
	return TSNSS_OK;
}

int
request_answer(const struct snapshot *s, const struct tsnss_header *h,
    const unsigned char *key, int enumerate, struct evbuffer *out)
{
	char name[TSNSS_MAX_KEY + 1];
	uint32_t id = 0;
	struct evbuffer *body;
	int status;

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
	body = evbuffer_new();
	status = lookup(s, h->code, name, id, body);
	if (evbuffer_get_length(body) > TSNSS_MAX_REPLY) {
		evbuffer_free(body);
		request_reply_status(out, TSNSS_UNAVAIL);
		return TSNSS_UNAVAIL;
	}
	put_header(out, (unsigned)status, evbuffer_get_length(body));
	evbuffer_add_buffer(out, body);
	evbuffer_free(body);
	return status;
}
