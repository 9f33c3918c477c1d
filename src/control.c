/*
 * control.c - answer tsnssctl.  Status is open to every local user (it
 * holds counts, nothing getent would not show); a refresh costs tailscaled
 * a request, so only root or tsnssd's own user may ask for one.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "backend.h"
#include "config.h"
#include "control.h"
#include "protocol.h"
#include "refresh.h"
#include "snapshot.h"
#include "tsnssd.h"

int
control_is_control(const struct tsnss_header *h)
{
	return h->code == TSNSS_CTL_STATUS || h->code == TSNSS_CTL_REFRESH;
}

static void
describe(struct tsnssd *d, struct evbuffer *b)
{
	const struct stats *s = &d->stats;
	time_t now = time(NULL);

	evbuffer_add_printf(
	    b, "backend:          %s\n", backend_name(d->backend));
	if (d->snap != NULL)
		evbuffer_add_printf(b,
		    "snapshot:         %u users, %u groups, %lld s old\n",
		    d->snap->h->n_users, d->snap->h->n_groups,
		    (long long)(now - d->snap->h->created));
	else
		evbuffer_add_printf(b, "snapshot:         none yet\n");
	refresh_describe(d->refresh, b);
	evbuffer_add_printf(b,
	    "refreshes:        %" PRIu64 " worked, %" PRIu64 " failed\n"
	    "requests:         %" PRIu64 "\n"
	    "bad requests:     %" PRIu64 "\n"
	    "clients evicted:  %" PRIu64 " (idle, at max_clients %u)\n"
	    "clients refused:  %" PRIu64 "\n"
	    "client timeouts:  %" PRIu64 "\n"
	    "early refreshes held back: %" PRIu64 "\n",
	    s->refresh_ok, s->refresh_failed, s->requests, s->bad_requests,
	    s->clients_evicted, d->cf->max_clients, s->clients_refused,
	    s->client_timeouts, s->miss_refresh_limited);
}

static void
reply(struct evbuffer *out, unsigned status, struct evbuffer *body)
{
	struct tsnss_header h = {TSNSS_MAGIC, TSNSS_VERSION, status,
	    (uint32_t)evbuffer_get_length(body)};

	evbuffer_add(out, &h, sizeof h);
	evbuffer_add_buffer(out, body);
}

void
control_answer(struct tsnssd *d, const struct tsnss_header *h, uid_t peer_uid,
    struct evbuffer *out)
{
	struct evbuffer *body = evbuffer_new();
	unsigned status = TSNSS_OK;

	if (h->code == TSNSS_CTL_STATUS) {
		describe(d, body);
	} else if (peer_uid != 0 && peer_uid != geteuid()) {
		evbuffer_add_printf(body, "refresh: only root may ask\n");
		status = TSNSS_DENIED;
	} else {
		refresh_now(d->refresh);
		evbuffer_add_printf(body, "refresh: started\n");
	}
	reply(out, status, body);
	evbuffer_free(body);
}
