/*
 * control.c - answer tsnssctl.  Status is open to every local user (it
 * holds counts, nothing getent would not show); a refresh costs tailscaled
 * a request, so only root or tsnssd's own user may ask for one.
 */
#include "autoconfig.h"

#include <unistd.h>

#include <event2/buffer.h>

#include "control.h"
#include "protocol.h"
#include "refresh.h"
#include "report.h"
#include "tsnssd.h"
#include "wire.h"

int
control_is_control(const struct tsnss_header *h)
{
	return h->code == TSNSS_CTL_STATUS || h->code == TSNSS_CTL_REFRESH;
}

static void
reply(struct evbuffer *out, unsigned status, struct evbuffer *body)
{
	struct tsnss_header h;

	tsnss_header_init(&h, status, evbuffer_get_length(body));
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
		report_status(d, body);
		d->loop_max_us =
		    0; /* each status shows the worst since the last */
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
