/* localwatch.c - see localwatch.h. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "localdb.h"
#include "localwatch.h"
#include "log.h"
#include "reserved.h"
#include "xmalloc.h"

/* What says a file changed: a new inode (rename), size or times. */
struct filesig {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct localwatch {
	struct event *timer;
	char *passwd_path, *group_path;
	struct filesig passwd, group;
	struct filesig *reserved; /* one per reserved_watch_paths() */
	size_t n_reserved;
	struct localdb *db;
	void (*changed)(void *arg);
	void *arg;
};

static void
sign(const char *path, struct filesig *sig)
{
	struct stat st;

	memset(sig, 0, sizeof *sig);
	if (stat(path, &st) != 0)
		return;
	sig->dev = st.st_dev;
	sig->ino = st.st_ino;
	sig->size = st.st_size;
	sig->mtime = st.st_mtim;
	sig->ctime = st.st_ctim;
}

static int
same(const struct filesig *a, const struct filesig *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/*
 * The reserved names' directories and the subordinate id files: a
 * directory's times change when a unit or a sysusers.d file is added,
 * removed or renamed into place, as packages install them.  1 if any
 * changed since the last call.
 */
static int
sign_reserved(struct localwatch *w)
{
	const char *const *paths = reserved_watch_paths();
	struct filesig sig;
	size_t i;
	int changed = 0;

	for (i = 0; i < w->n_reserved; i++) {
		sign(paths[i], &sig);
		if (!same(&sig, &w->reserved[i]))
			changed = 1;
		w->reserved[i] = sig;
	}
	return changed;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct localwatch *w = arg;
	struct filesig p, g;
	int reserved = sign_reserved(w);

	sign(w->passwd_path, &p);
	sign(w->group_path, &g);
	if (same(&p, &w->passwd) && same(&g, &w->group) && !reserved)
		return;
	w->passwd = p;
	w->group = g;
	localdb_free(w->db);
	w->db = localdb_load(w->passwd_path, w->group_path);
	log_info("%s, %s or the names and ids the host reserves changed; "
		 "applying the policy again",
	    w->passwd_path, w->group_path);
	w->changed(w->arg);
}

struct localwatch *
localwatch_new(struct event_base *base, const char *passwd_path,
    const char *group_path, void (*changed)(void *arg), void *arg)
{
	struct localwatch *w = xcalloc(1, sizeof *w);
	struct timeval tv = {
	    LOCALWATCH_PERIOD_MS / 1000, (LOCALWATCH_PERIOD_MS % 1000) * 1000};

	w->passwd_path = xstrdup(passwd_path);
	w->group_path = xstrdup(group_path);
	w->changed = changed;
	w->arg = arg;
	sign(passwd_path, &w->passwd);
	sign(group_path, &w->group);
	while (reserved_watch_paths()[w->n_reserved] != NULL)
		w->n_reserved++;
	w->reserved = xcalloc(w->n_reserved + 1, sizeof *w->reserved);
	sign_reserved(w);
	w->db = localdb_load(passwd_path, group_path);
	w->timer = event_new(base, -1, EV_PERSIST, on_tick, w);
	event_add(w->timer, &tv);
	return w;
}

const struct localdb *
localwatch_db(const struct localwatch *w)
{
	return w->db;
}

void
localwatch_free(struct localwatch *w)
{
	if (w == NULL)
		return;
	event_free(w->timer);
	localdb_free(w->db);
	free(w->passwd_path);
	free(w->group_path);
	free(w->reserved);
	free(w);
}
