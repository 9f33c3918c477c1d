/*
 * idlist.h - a deep copy of a backend's identities, so the last good
 * answer outlives the plugin's callback, and so an answer that says the
 * same as the last one can be told apart without rebuilding anything.
 */
#ifndef TSNSS_IDLIST_H
#define TSNSS_IDLIST_H

#include <stddef.h>

#include "plugin.h"

struct idlist {
	struct tsnss_identity *ids;
	size_t n;
	char *text;		  /* every string the ids point to */
	const char **groups;	  /* every id's group names */
	struct tsnss_attr *attrs; /* every id's attributes */
};

/* A copy of res's ids (read with the plugin's stride). */
struct idlist *idlist_from_result(const struct tsnss_fetch_result *res);
/* Same ids, logins, display names, groups and attributes, in order. */
int idlist_equal(const struct idlist *a, const struct idlist *b);
void idlist_free(struct idlist *l);

#endif
