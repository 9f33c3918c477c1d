/*
 * localwatch.h - notice when /etc/passwd or /etc/group change, so that a
 * local account wins over a tailnet user at once, even while the backend
 * is down; likewise the files and directories of the names and ids the
 * host reserves (reserved.h): /etc/subuid grows when useradd adds a user.  A
 * stat of both files each second: cheap, and unlike inotify it sees a file
 * replaced by rename, an edit through a bind mount and a change made before
 * tsnssd started watching alike.
 */
#ifndef TSNSS_LOCALWATCH_H
#define TSNSS_LOCALWATCH_H

struct event_base;
struct localdb;
struct localwatch;

#define LOCALWATCH_PERIOD_MS 1000

struct localwatch *localwatch_new(struct event_base *base,
    const char *passwd_path, const char *group_path, void (*changed)(void *arg),
    void *arg);
/* The accounts as of the last check (at most a period old). */
const struct localdb *localwatch_db(const struct localwatch *w);
void localwatch_free(struct localwatch *w);

#endif
