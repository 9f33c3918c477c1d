/*
 * control.c - answer tsnssctl.  Status is open to every local user (it
 * holds counts, nothing getent would not show); a refresh costs tailscaled
 * a request, so only root or tsnssd's own user may ask for one, and each
 * of them once per few seconds.  Forgetting a login's claims gives its
 * UID and name away: root only.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "control.h"
#include "protocol.h"
#include "refresh.h"
#include "report.h"
#include "tsnssd.h"
#include "wire.h"

static int
is_control(const struct tsnss_header *h)
{
	return h->code == TSNSS_CTL_STATUS || h->code == TSNSS_CTL_REFRESH ||
	       h->code == TSNSS_CTL_FORGET;
}

static void
reply(struct evbuffer *out, unsigned status, struct evbuffer *body)
{
	struct tsnss_header h;

	tsnss_header_init(&h, status, evbuffer_get_length(body));
	evbuffer_add(out, &h, sizeof h);
	evbuffer_add_buffer(out, body);
}

/* A login from the wire: no NUL, nothing a log line would choke on. */
static int
forget(struct tsnssd *d, const unsigned char *key, size_t len,
    struct evbuffer *body)
{
	char login[TSNSS_MAX_KEY + 1];
	size_t i, n;

	for (i = 0; i < len; i++) {
		if (key[i] <= 0x20 || key[i] == 0x7f)
			return -1;
		login[i] = (char)tolower(key[i]);
	}
	login[len] = '\0';
	if (strcmp(login, "--all") == 0) { /* no login: it has no '@' */
		if (refresh_forget_all(d->refresh) != 0)
			return -1;
		evbuffer_add_printf(body, "forget: released every claim\n");
		return 0;
	}
	n = refresh_forget(d->refresh, login);
	if (n == 0)
		evbuffer_add_printf(
		    body, "forget: %s holds nothing here\n", login);
	else
		evbuffer_add_printf(body, "forget: released %s\n", login);
	return 0;
}

static void
answer(struct tsnssd *d, const struct tsnss_header *h, const unsigned char *key,
    uid_t peer_uid, struct evbuffer *out)
{
	struct evbuffer *body = evbuffer_new();
	unsigned status = TSNSS_OK;

	if (h->code == TSNSS_CTL_STATUS) {
		report_status(d, body);
		d->loop_max_us =
		    0; /* each status shows the worst since the last */
	} else if (h->code == TSNSS_CTL_FORGET) {
		if (peer_uid != 0 || forget(d, key, h->len, body) != 0)
			status = TSNSS_DENIED;
	} else if (peer_uid != 0 && peer_uid != geteuid()) {
		evbuffer_add_printf(body, "refresh: only root may ask\n");
		status = TSNSS_DENIED;
	} else if (refresh_asked(d->refresh, peer_uid) != 0) {
		evbuffer_add_printf(body,
		    "refresh: held back; one per %d s "
		    "per user\n",
		    REFRESH_ASK_EVERY);
	} else {
		evbuffer_add_printf(body, "refresh: started\n");
	}
	reply(out, status, body);
	evbuffer_free(body);
}

int
control_handle(struct tsnssd *d, const struct tsnss_header *h,
    const unsigned char *key, uid_t peer_uid, struct evbuffer *out)
{
	if (!is_control(h))
		return 0;
	answer(d, h, key, peer_uid, out);
	return 1;
}
