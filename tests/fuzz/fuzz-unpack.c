/*
 * fuzz-unpack.c - the stub's reply parser takes any bytes, with buffers of
 * any size, without reading or writing out of bounds.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "nss-tailscale.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = {0, 1, 7, 64, 1024, 65536};
	struct passwd pw;
	struct group gr;
	uint32_t n;
	size_t i;

	for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		char *buf = malloc(sizes[i] ? sizes[i] : 1);

		tsnss_unpack_passwd(data, size, &pw, buf, sizes[i]);
		tsnss_unpack_group(data, size, &gr, buf, sizes[i]);
		free(buf);
	}
	if (tsnss_unpack_gids(data, size, &n) == 0 && n > 0)
		(void)tsnss_gid_at(data, n - 1);
	return 0;
}
