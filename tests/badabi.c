/* badabi.c - a plugin from some other tsnssd: the loader must refuse it. */
#include "plugin.h"

__attribute__((visibility("default")))
const struct tsnss_plugin tsnss_plugin = {
    .abi_version = TSNSS_PLUGIN_ABI_VERSION + 41,
    .name = "badabi",
};
