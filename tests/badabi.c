/*
 * badabi.c - a plugin built for ABI version 1 (before group names and
 * size fields): the loader must refuse it, naming both versions.
 */
#include "plugin.h"

__attribute__((visibility("default")))
const struct tsnss_plugin tsnss_plugin = {
    .abi_version = 1,
    .name = "badabi",
};
