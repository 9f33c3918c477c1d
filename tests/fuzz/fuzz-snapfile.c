/*
 * fuzz-snapfile.c - the snapshot reader the NSS stub runs on every lookup
 * takes any bytes as a mapped file: open, every kind of lookup (the
 * subordinate ranges libsubid_tailscale.so reads too), and the whole-file
 * check, without reading outside them.
 */
#include <stdlib.h>
#include <string.h>

#include "snapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"alice", "bob", "", "zzzz"};
static volatile size_t sink;

static void
walk(const struct tsnss_snap *v)
{
	struct tsnss_pw u;
	struct tsnss_gr g;
	struct tsnss_str m;
	struct tsnss_snap_subid r;
	size_t sum = 0;
	uint32_t i, j;

	for (i = 0; i < sizeof names / sizeof *names; i++) {
		if (tsnss_snap_user_by_name(v, names[i], &u) == 0)
			sum += u.name.len + u.shell.len;
		if (tsnss_snap_group_by_name(v, names[i], &g) == 0)
			sum += g.name.len;
		if (tsnss_snap_subid_by_name(v, names[i], &r) == 0)
			sum += r.start;
	}
	for (i = 0; i < 64; i++) {
		if (tsnss_snap_user_at(v, i, &u) == 0) {
			sum += tsnss_snap_user_by_uid(v, u.uid, &u) == 0;
			for (j = 0; j < u.n_gids && j < 64; j++)
				sum += tsnss_snap_user_gid(v, &u, j);
		}
		if (tsnss_snap_subid_at(v, i, &r) == 0)
			sum += r.count + r.uid;
		if (tsnss_snap_group_at(v, i, &g) == 0) {
			sum += tsnss_snap_group_by_gid(v, g.gid, &g) == 0;
			for (j = 0; j < g.n_members && j < 64; j++)
				if (tsnss_snap_member(v, &g, j, &m) == 0)
					sum += m.len + (size_t)m.s[m.len];
		}
	}
	sink = sum + (size_t)tsnss_snap_verify(v, NULL, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsnss_snap v;
	unsigned char *p;

	/* a copy of exactly size bytes, 8-aligned as a mapping would be */
	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	if (tsnss_snap_open(&v, p, size, NULL, 0) == 0)
		walk(&v);
	free(p);
	return 0;
}
