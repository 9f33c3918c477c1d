#include "autoconfig.h"

#include <inttypes.h>
#include <time.h>

#include <event2/buffer.h>

#include "backend.h"
#include "config.h"
#include "listener.h"
#include "refresh.h"
#include "snapshot.h"
#include "report.h"
#include "tsnssd.h"

static void
describe_snapshot(const struct tsnssd *d, struct evbuffer *b)
{
	const struct tsnss_snap_header *h = d->snap ? d->snap->h : NULL;

	if (h == NULL) {
		evbuffer_add_printf(b, "snapshot:         none yet\n");
		return;
	}
	evbuffer_add_printf(b,
	    "snapshot:         %u users, %u groups, %lld s old, "
	    "generation %" PRIu64 "\n",
	    h->n_users, h->n_groups, (long long)(time(NULL) - h->created),
	    h->generation);
	if (h->serve_until != 0)
		evbuffer_add_printf(b, "serve until:      %lld s from now\n",
		    (long long)(h->serve_until - time(NULL)));
}

void
report_status(const struct tsnssd *d, struct evbuffer *b)
{
	const struct stats *s = &d->stats;

	size_t i;

	evbuffer_add_printf(b, "backends:        ");
	for (i = 0; i < d->cf->n_backends; i++)
		evbuffer_add_printf(b, " %s", d->cf->backends[i].name);
	evbuffer_add_printf(b, "\n");
	describe_snapshot(d, b);
	if (d->refresh != NULL)
		refresh_describe(d->refresh, b);
	listener_describe(d->listener, b);
	evbuffer_add_printf(b, "max_clients:      %u\n", d->cf->max_clients);
	evbuffer_add_printf(b,
	    "longest loop turn: %.1f ms of CPU since the last status\n",
	    d->loop_max_us / 1000.0);
#define TSNSSD_STAT_LINE(name, what)                                           \
	evbuffer_add_printf(b, "%s: %" PRIu64 "\n", what, s->name);
	TSNSSD_STATS(TSNSSD_STAT_LINE)
#undef TSNSSD_STAT_LINE
}
