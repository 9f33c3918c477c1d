/* policy-config.c - see policy-config.h. */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-config.h"
#include "xmalloc.h"

/*
 * A login outside these names is refused, never mangled: mangling could
 * hand one person's files to another.
 */
int
policy_valid_name(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > POLICY_MAX_NAME)
		return 0;
	if (!islower((unsigned char)name[0]) && name[0] != '_')
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!islower(c) && !isdigit(c) && c != '_' && c != '-' &&
		    c != '.')
			return 0;
	}
	return 1;
}

int
policy_source_lists(const struct policy_source *s, const char *domain)
{
	size_t i;

	for (i = 0; i < s->n_domains; i++)
		if (strcmp(s->domains[i], domain) == 0)
			return 1;
	return 0;
}

const struct policy_source *
policy_source_of(const struct policy_config *pc, const char *domain)
{
	size_t i;

	for (i = 0; i < pc->n_sources; i++)
		if (policy_source_lists(&pc->sources[i], domain))
			return &pc->sources[i];
	return pc->n_sources > 0 ? &pc->sources[0] : NULL;
}

static int
ranked(const struct policy_config *pc, const char *domain)
{
	size_t i;

	for (i = 0; i < pc->n_domains; i++)
		if (strcmp(pc->domains[i], domain) == 0)
			return 1;
	return 0;
}

int
policy_config_finish(struct policy_config *pc, char *err, size_t errlen)
{
	const struct policy_source *s, *first;
	size_t i, j;

	for (i = 0; i < pc->n_sources; i++) {
		s = &pc->sources[i];
		for (j = 0; j < s->n_domains; j++) {
			first = policy_source_of(pc, s->domains[j]);
			if (first->uid_base != s->uid_base ||
			    first->uid_max != s->uid_max) {
				snprintf(err, errlen,
				    "[%s] and [%s] both list %s with other "
				    "uid_base or uid_max: one login would get "
				    "two UIDs",
				    first->name, s->name, s->domains[j]);
				return -1;
			}
			if (ranked(pc, s->domains[j]))
				continue;
			pc->domains = xreallocarray(pc->domains,
			    pc->n_domains + 1, sizeof *pc->domains);
			pc->domains[pc->n_domains++] = xstrdup(s->domains[j]);
		}
	}
	return 0;
}

static void
free_list(char **l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void
policy_config_clear(struct policy_config *pc)
{
	size_t i;

	for (i = 0; i < pc->n_sources; i++) {
		free(pc->sources[i].name);
		free_list(pc->sources[i].domains, pc->sources[i].n_domains);
		free(pc->sources[i].shell);
		free(pc->sources[i].home);
	}
	free(pc->sources);
	free_list(pc->domains, pc->n_domains);
	free_list(pc->open_domains, pc->n_open_domains);
	for (i = 0; i < pc->n_clash_names; i++) {
		free(pc->clash_names[i].domain);
		free(pc->clash_names[i].tmpl);
	}
	free(pc->clash_names);
	free(pc->uid_key_file);
	if (pc->uid_key != NULL)
		explicit_bzero(pc->uid_key, pc->uid_key_len);
	free(pc->uid_key);
	free(pc->primary_group);
	free(pc->group_prefix);
	for (i = 0; i < pc->n_overrides; i++) {
		free(pc->overrides[i].login);
		free(pc->overrides[i].name);
		free(pc->overrides[i].shell);
		free(pc->overrides[i].home);
	}
	free(pc->overrides);
	free_list(pc->subid.members, pc->subid.n_members);
	for (i = 0; i < pc->n_groups; i++) {
		free(pc->groups[i].name);
		free_list(pc->groups[i].members, pc->groups[i].n_members);
	}
	free(pc->groups);
	for (i = 0; i < pc->n_programs; i++) {
		free(pc->programs[i].path);
		free(pc->programs[i].shell);
		free(pc->programs[i].home);
	}
	free(pc->programs);
	for (i = 0; i < pc->n_variants; i++) {
		free(pc->variants[i].suffix);
		free(pc->variants[i].shell);
		free(pc->variants[i].home);
		free_list(pc->variants[i].who.members,
		    pc->variants[i].who.n_members);
	}
	free(pc->variants);
	memset(pc, 0, sizeof *pc);
}
