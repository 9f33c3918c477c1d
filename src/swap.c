#include "autoconfig.h"

#include <stddef.h>

#include "publish.h"
#include "republish.h"
#include "snapshot.h"
#include "swap.h"
#include "tsnssd.h"

void
swap_snapshot(struct tsnssd *d, struct snapshot *s)
{
	snapshot_free(d->snap);
	d->snap = s;
	if (s == NULL && d->pub != NULL)
		publisher_withdraw(d->pub);
	if (s != NULL && d->generation < s->h->generation)
		d->generation = s->h->generation;
	if (s != NULL)
		republisher_arm(d->republish); /* if it was not published */
	if (s != NULL && d->on_serving != NULL)
		d->on_serving(d);
}
