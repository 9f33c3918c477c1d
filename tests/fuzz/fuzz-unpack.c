/*
 * fuzz-unpack.c - the stub's reply parser takes any bytes, into buffers of
 * any size and alignment, without reading or writing out of bounds, and
 * what it hands back lies inside the caller's buffer.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nss-tailscale.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Short, tight and roomy; odd ones start the buffer misaligned. */
static const size_t sizes[] = {0, 1, 7, 31, 64, 257, 1024, 65536};

static int
inside(const char *s, const char *buf, size_t buflen)
{
	return s >= buf && s < buf + buflen &&
	       memchr(s, '\0', (size_t)(buf + buflen - s)) != NULL;
}

static void
one_passwd(const uint8_t *data, size_t size, char *buf, size_t buflen)
{
	struct passwd pw;

	if (tsnss_unpack_passwd(data, size, &pw, buf, buflen) != 0)
		return;
	if (!inside(pw.pw_name, buf, buflen) ||
	    !inside(pw.pw_shell, buf, buflen))
		abort();
}

static void
one_group(const uint8_t *data, size_t size, char *buf, size_t buflen)
{
	struct group gr;
	char **m;

	if (tsnss_unpack_group(data, size, &gr, buf, buflen) != 0)
		return;
	if (!inside(gr.gr_name, buf, buflen) ||
	    (uintptr_t)gr.gr_mem % sizeof(char *) != 0)
		abort();
	for (m = gr.gr_mem; *m != NULL; m++)
		if (!inside(*m, buf, buflen))
			abort();
}

static volatile uint32_t sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t n, i, sum = 0;
	size_t k, off;
	char *buf;

	for (k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		/* exactly the size, after off bytes: ASan sees overruns */
		off = sizes[k] % 2;
		buf = malloc(off + sizes[k] > 0 ? off + sizes[k] : 1);
		one_passwd(data, size, buf + off, sizes[k]);
		one_group(data, size, buf + off, sizes[k]);
		free(buf);
	}
	if (tsnss_wire_get_gids(data, size, &n) == 0)
		for (i = 0; i < n; i++)
			sum += tsnss_wire_gid_at(data, i);
	sink = sum; /* so the reads are not optimised away */
	return 0;
}
