/*
 * program.c - [program PATH] at copy-out: the home and shell a user has
 * when the lookup comes from that executable (sshd dropping users into a
 * container, say), while ls, id and cron see the usual entry.
 *
 * The executable is the one the kernel names in /proc/self/exe, read once
 * per process: argv[0] is the caller's to choose, and a setuid program's
 * caller must not pick the entry it gets.  No /proc, or a path too long:
 * no program, the usual entry.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "nss-tailscale.h"
#include "template.h"

static pthread_once_t exe_once = PTHREAD_ONCE_INIT;
static char exe[PATH_MAX]; /* "" when unknown */

static void
read_exe(void)
{
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	exe[n > 0 ? (size_t)n : 0] = '\0';
	if (n <= 0 || (size_t)n == sizeof exe - 1)
		exe[0] = '\0';
}

/* Expand one field's template into space; keep the field on failure. */
static void
apply(const struct tsnss_str *tmpl, const struct tsnss_template_args *a,
    struct tsnss_str *field, char *space, size_t spacelen)
{
	if (tmpl->len == 0 ||
	    tsnss_template_expand(tmpl->s, a, space, spacelen) != 0)
		return;
	field->s = space;
	field->len = strlen(space);
}

void
tsnss_program_apply(const struct tsnss_snap *v, struct tsnss_pw *u,
    struct tsnss_program_space *sp)
{
	struct tsnss_prog p;
	struct tsnss_template_args a;
	const char *at;

	if (v->h.n_programs == 0 || u->variant)
		return;
	pthread_once(&exe_once, read_exe);
	if (exe[0] == '\0' ||
	    tsnss_snap_program(v, exe, &p) != TSNSS_SNAP_FOUND)
		return;
	at = memchr(u->login.s, '@', u->login.len);
	a = (struct tsnss_template_args){
	    u->name.s, u->login.s, at ? at + 1 : "", u->uid};
	apply(&p.home, &a, &u->home, sp->home, sizeof sp->home);
	apply(&p.shell, &a, &u->shell, sp->shell, sizeof sp->shell);
}
