/*
 * nss-probe.c - drive glibc's NSS API in ways getent cannot: a caller's
 * buffer of a chosen size, and many threads at once.  It goes through the
 * real glibc and whatever nsswitch.conf names, like any program would.
 *
 *   nss-probe pwnam NAME BUFLEN    one getpwnam_r with exactly BUFLEN bytes
 *   nss-probe grnam NAME BUFLEN    one getgrnam_r likewise
 *   nss-probe threads N ITER NAME UID
 *                                  N threads x ITER getpwnam_r+getpwuid_r,
 *                                  each answer checked against NAME/UID
 *   nss-probe fork NAME UID        look NAME up, fork, look it up in the
 *                                  child and the parent again
 *   nss-probe self SOCKET NAME     listen on SOCKET as tsnssd would, look
 *                                  NAME up, then see whether the stub sent
 *                                  us a request: it must not ask itself
 *   nss-probe cloexec NAME         look NAME up, then list every open
 *                                  descriptor an exec would inherit
 *   nss-probe time KIND KEY WANT MS
 *                                  `make bench`: repeat one lookup for at
 *                                  least MS milliseconds in this process
 *                                  and print nanoseconds per lookup; every
 *                                  answer is checked, and one wrong answer
 *                                  prints WRONG instead (a fast failure is
 *                                  not a figure).  KIND KEY -> WANT:
 *                                    pwnam NAME -> its uid
 *                                    pwuid UID  -> its name
 *                                    grouplist NAME -> how many groups
 *                                    getgrouplist gives it (with its
 *                                    primary gid, as initgroups does)
 *   nss-probe first NAME MS        `make bench`: `getent passwd NAME` in a
 *                                  new process, again every millisecond
 *                                  until it answers, for up to MS ms;
 *                                  prints when it answered (ns since the
 *                                  epoch, date +%s%N's clock) or "fail"
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int
probe_pwnam(const char *name, size_t buflen)
{
	struct passwd pw, *res = NULL;
	char *buf = malloc(buflen ? buflen : 1);
	int rc = getpwnam_r(name, &pw, buf, buflen, &res);

	if (rc == ERANGE)
		printf("ERANGE\n");
	else if (rc != 0)
		printf("ERROR %s\n", strerror(rc));
	else if (res == NULL)
		printf("NOTFOUND\n");
	else
		printf("%s:%s:%u:%u:%s:%s:%s\n", pw.pw_name, pw.pw_passwd,
		    (unsigned)pw.pw_uid, (unsigned)pw.pw_gid, pw.pw_gecos,
		    pw.pw_dir, pw.pw_shell);
	free(buf);
	return 0;
}

static int
probe_grnam(const char *name, size_t buflen)
{
	struct group gr, *res = NULL;
	char *buf = malloc(buflen ? buflen : 1);
	int rc = getgrnam_r(name, &gr, buf, buflen, &res);

	if (rc == ERANGE)
		printf("ERANGE\n");
	else if (rc != 0)
		printf("ERROR %s\n", strerror(rc));
	else if (res == NULL)
		printf("NOTFOUND\n");
	else {
		printf(
		    "%s:%s:%u:", gr.gr_name, gr.gr_passwd, (unsigned)gr.gr_gid);
		for (char **m = gr.gr_mem; *m != NULL; m++)
			printf("%s%s", *m, m[1] ? "," : "");
		printf("\n");
	}
	free(buf);
	return 0;
}

struct job {
	const char *name;
	uid_t uid;
	long iter;
	long bad;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct passwd pw, *res;
	char buf[1024];
	long i;

	for (i = 0; i < j->iter; i++) {
		res = NULL;
		if (getpwnam_r(j->name, &pw, buf, sizeof buf, &res) != 0 ||
		    res == NULL || pw.pw_uid != j->uid)
			j->bad++;
		res = NULL;
		if (getpwuid_r(j->uid, &pw, buf, sizeof buf, &res) != 0 ||
		    res == NULL || strcmp(pw.pw_name, j->name) != 0)
			j->bad++;
	}
	return NULL;
}

static int
probe_threads(int n, long iter, const char *name, uid_t uid)
{
	pthread_t *t = calloc((size_t)n, sizeof *t);
	struct job *jobs = calloc((size_t)n, sizeof *jobs);
	long bad = 0;
	int i;

	for (i = 0; i < n; i++) {
		jobs[i] = (struct job){name, uid, iter, 0};
		pthread_create(&t[i], NULL, worker, &jobs[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		bad += jobs[i].bad;
	}
	printf("%ld lookups, %ld wrong\n", 2L * n * iter, bad);
	free(t);
	free(jobs);
	return bad != 0;
}

static int
uid_of(const char *name)
{
	struct passwd *pw = getpwnam(name);

	return pw ? (int)pw->pw_uid : -1;
}

static int
probe_fork(const char *name, int uid)
{
	int status = 0;
	pid_t pid;

	if (uid_of(name) != uid)
		return printf("parent before fork: wrong\n"), 1;
	pid = fork();
	if (pid == 0)
		_exit(uid_of(name) == uid ? 0 : 1);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return printf("child: wrong\n"), 1;
	if (uid_of(name) != uid)
		return printf("parent after fork: wrong\n"), 1;
	printf("ok before, in and after fork\n");
	return 0;
}

static int
probe_self(const char *path, const char *name)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char buf[64];
	int srv, c;
	ssize_t n;

	srv = socket(AF_UNIX, SOCK_STREAM, 0);
	strncpy(sun.sun_path, path, sizeof sun.sun_path - 1);
	unlink(path);
	if (bind(srv, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    listen(srv, 8) != 0)
		return perror("listen"), 2;
	(void)getpwnam(name); /* the stub connects to us, then must let go */
	c = accept(srv, NULL, NULL);
	if (c < 0)
		return printf("no connection at all\n"), 1;
	n = recv(c, buf, sizeof buf, MSG_DONTWAIT);
	printf(n > 0 ? "asked itself\n" : "did not ask itself\n");
	close(c);
	close(srv);
	unlink(path);
	return 0;
}

/* Descriptors above stderr without FD_CLOEXEC would pass into exec. */
static int
inheritable(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl >= 0 && !(fl & FD_CLOEXEC);
}

/* Only those the lookups opened count: the test harness has its own. */
static int
probe_cloexec(const char *name)
{
	static char before[1024];
	int fd, leaks = 0;
	struct group *gr;

	for (fd = 3; fd < 1024; fd++)
		before[fd] = (char)inheritable(fd);
	printf("%s\n", getpwnam(name) ? "found" : "not found");
	gr = getgrnam(name);
	(void)gr;
	(void)getpwnam("no-such-user-anywhere");
	for (fd = 3; fd < 1024; fd++) {
		if (before[fd] || !inheritable(fd))
			continue;
		printf("fd %d would leak into exec\n", fd);
		leaks++;
	}
	if (leaks == 0)
		printf("no descriptor leaks into exec\n");
	return leaks != 0;
}

/* One lookup of the `time` mode, its arguments parsed beforehand so the
 * loop measures glibc and the module, not strcmp and strtoul. */
enum timed_kind { T_PWNAM, T_PWUID, T_GROUPLIST, T_PWMISS };

struct timed {
	enum timed_kind kind;
	const char *name; /* pwnam, grouplist: the key; pwuid: the answer */
	unsigned long id; /* pwnam: the answer; pwuid: the key */
	int ngroups;	  /* grouplist: the answer */
	gid_t gid;	  /* grouplist: the user's primary group */
};

/* 1 if the lookup gave the wanted answer. */
static int
timed_once(const struct timed *t)
{
	struct passwd pw, *res = NULL;
	gid_t groups[256];
	int n = 256;
	char buf[4096];

	switch (t->kind) {
	case T_PWNAM:
		(void)getpwnam_r(t->name, &pw, buf, sizeof buf, &res);
		return res != NULL && pw.pw_uid == t->id;
	case T_PWUID:
		(void)getpwuid_r((uid_t)t->id, &pw, buf, sizeof buf, &res);
		return res != NULL && strcmp(pw.pw_name, t->name) == 0;
	case T_GROUPLIST:
		return getgrouplist(t->name, t->gid, groups, &n) >= 0 &&
		       n == t->ngroups;
	case T_PWMISS:
		return getpwnam_r(t->name, &pw, buf, sizeof buf, &res) == 0 &&
		       res == NULL;
	}
	return 0;
}

/* The `time` arguments KIND KEY WANT as a struct timed; 0 if KIND is not
 * one we know, or grouplist's user has no primary group to give. */
static int
timed_parse(
    struct timed *t, const char *kind, const char *key, const char *want)
{
	struct passwd *pw;

	if (strcmp(kind, "pwnam") == 0)
		*t =
		    (struct timed){T_PWNAM, key, strtoul(want, NULL, 10), 0, 0};
	else if (strcmp(kind, "pwuid") == 0)
		*t =
		    (struct timed){T_PWUID, want, strtoul(key, NULL, 10), 0, 0};
	else if (strcmp(kind, "pwmiss") == 0)
		*t = (struct timed){T_PWMISS, key, 0, 0, 0};
	else if (strcmp(kind, "grouplist") == 0) {
		if ((pw = getpwnam(key)) == NULL)
			return 0;
		*t =
		    (struct timed){T_GROUPLIST, key, 0, atoi(want), pw->pw_gid};
	} else
		return 0;
	return 1;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Batches that double in size until MS have passed, so a 30 ns lookup and
 * a 500 us one both get a steady figure without a fixed count. */
static int
probe_time(const char *kind, const char *key, const char *want, long ms)
{
	struct timed t;
	double start, elapsed = 0;
	long batch = 1, done = 0, i;

	if (!timed_parse(&t, kind, key, want))
		return printf("WRONG: no kind %s, or no user %s\n", kind, key),
		       1;
	for (i = 0; i < 16; i++) /* warm up: dlopen, maps, caches */
		if (!timed_once(&t))
			return printf("WRONG\n"), 1;
	while (elapsed < ms * 1e6) {
		start = now_ns();
		for (i = 0; i < batch; i++)
			if (!timed_once(&t))
				return printf("WRONG\n"), 1;
		elapsed += now_ns() - start;
		done += batch;
		batch *= 2;
	}
	printf("%.1f\n", elapsed / done);
	return 0;
}

/* One try of probe_first: 1 if `getent passwd NAME` answered. */
static int
getent_answers(const char *name)
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return 0;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("getent", "getent", "passwd", name, (char *)NULL);
		_exit(127);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/*
 * The first answer after tsnssd starts, as a user's command would get it:
 * each try is a new process.  The pause between tries keeps this loop from
 * taking a core for itself: back to back, the tries (and the shell loop
 * that ran them before) competed with the daemon they were waiting for.
 * It adds about a millisecond to the figure at most, and takes nothing off.
 */
static int
probe_first(const char *name, long ms)
{
	const struct timespec pause = {0, 1000000};
	struct timespec ts;
	double end = now_ns() + ms * 1e6;

	while (!getent_answers(name)) {
		if (now_ns() > end)
			return printf("fail\n"), 1;
		nanosleep(&pause, NULL);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "cloexec") == 0)
		return probe_cloexec(argv[2]);
	if (argc == 4 && strcmp(argv[1], "fork") == 0)
		return probe_fork(argv[2], atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "self") == 0)
		return probe_self(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "pwnam") == 0)
		return probe_pwnam(argv[2], strtoul(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "grnam") == 0)
		return probe_grnam(argv[2], strtoul(argv[3], NULL, 10));
	if (argc == 6 && strcmp(argv[1], "time") == 0)
		return probe_time(argv[2], argv[3], argv[4], atol(argv[5]));
	if (argc == 4 && strcmp(argv[1], "first") == 0)
		return probe_first(argv[2], atol(argv[3]));
	if (argc == 6 && strcmp(argv[1], "threads") == 0)
		return probe_threads(atoi(argv[2]), atol(argv[3]), argv[4],
		    (uid_t)strtoul(argv[5], NULL, 10));
	fprintf(stderr, "usage: see the comment at the top of nss-probe.c\n");
	return 2;
}
