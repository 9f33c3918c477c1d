/*
 * fuzz-request.c - whatever a client sends, the request path answers with
 * a well-formed reply or refuses it; it never reads out of bounds.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "localdb.h"
#include "policy.h"
#include "request.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct snapshot *
sample(void)
{
	static char *domains[] = {"example.com"};
	static struct policy_source src = {.name = "tailscale",
	    .domains = domains,
	    .n_domains = 1,
	    .uid_base = 100000,
	    .uid_max = 2147483646,
	    .shell = "/bin/sh",
	    .home = "/home/%u"};
	static const struct policy_config pc = {.sources = &src,
	    .n_sources = 1,
	    .domains = domains,
	    .n_domains = 1};
	static const struct tsnss_identity ids[] = {
	    {1, "alice@example.com", "Alice", NULL, 0, NULL, 0},
	    {2, "bob@example.com", "Bob", NULL, 0, NULL, 0},
	};
	struct localdb *local = localdb_empty();
	struct policy_result *r = policy_apply(&pc, local, ids, 2);
	struct snapshot *s = snapshot_build(r, &(struct snap_meta){0});

	policy_result_free(r);
	localdb_free(local);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snapshot *s;
	struct tsnss_header h;
	struct evbuffer *out;
	size_t keylen;

	if (s == NULL)
		s = sample();
	if (size < sizeof h)
		return 0;
	memcpy(&h, data, sizeof h);
	if (request_check_header(&h, &keylen) != 0 || size - sizeof h < keylen)
		return 0;
	out = evbuffer_new();
	request_answer(s, &h, data + sizeof h, data[0] & 1, out);
	if (evbuffer_get_length(out) < sizeof h)
		abort();
	evbuffer_free(out);
	return 0;
}
