/* fuzz-config.c - the config parser takes any bytes without harm. */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];

	config_free(config_parse(
	    "fuzz.conf", (const char *)data, size, err, sizeof err));
	return 0;
}
