#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "nscdcheck.h"

#define LINE_MAX_NSCD 1024

struct map {
	const char *name;
	int enabled;
	long ttl; /* -1: nscd's default */
};

static void
parse_line(char *line, struct map *maps, size_t n)
{
	char *key, *db, *val, *save = NULL;
	size_t i;

	line[strcspn(line, "#\n")] = '\0';
	key = strtok_r(line, " \t", &save);
	db = key ? strtok_r(NULL, " \t", &save) : NULL;
	val = db ? strtok_r(NULL, " \t", &save) : NULL;
	if (val == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (strcmp(db, maps[i].name) != 0)
			continue;
		if (strcmp(key, "enable-cache") == 0)
			maps[i].enabled = strcmp(val, "yes") == 0;
		else if (strcmp(key, "positive-time-to-live") == 0)
			sscanf(val, "%ld", &maps[i].ttl);
	}
}

int
nscd_check(
    const char *conf, void (*warn)(const char *msg, void *arg), void *arg)
{
	struct map maps[] = {{"passwd", 0, -1}, {"group", 0, -1}};
	char line[LINE_MAX_NSCD], msg[512];
	FILE *f = fopen(conf, "r");
	size_t i;
	int n = 0;

	if (f == NULL)
		return 0; /* no nscd here */
	while (fgets(line, sizeof line, f) != NULL)
		parse_line(line, maps, sizeof maps / sizeof *maps);
	fclose(f);
	for (i = 0; i < sizeof maps / sizeof *maps; i++) {
		if (!maps[i].enabled)
			continue;
		snprintf(msg, sizeof msg,
		    "%s: nscd caches %s for %ld s (positive-time-to-live): "
		    "changes tsnssd applies at once, removals included, stay "
		    "hidden that long; set 'enable-cache %s no' there and "
		    "restart nscd",
		    conf, maps[i].name, maps[i].ttl < 0 ? 3600 : maps[i].ttl,
		    maps[i].name);
		warn(msg, arg);
		n++;
	}
	return n;
}
