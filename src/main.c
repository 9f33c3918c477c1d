/*
 * main.c - command line, start-up order, signals.
 *
 * Start-up: config -> persisted snapshot (published for the NSS module
 * at once) -> backend plugins -> first refresh.  The socket opens as soon
 * as there is something to answer from (a persisted snapshot, or the first
 * snapshot built) or every backend's first fetch has ended either way, so
 * a first start waits at most the slowest backend's timeout.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "backend.h"
#include "cache.h"
#include "config.h"
#include "control.h"
#include "explain.h"
#include "identcheck.h"
#include "localgroups.h"
#include "subid.h"
#include "listener.h"
#include "localdb.h"
#include "log.h"
#include "nscdcheck.h"
#include "notify.h"
#include "policy.h"
#include "publish.h"
#include "rangecheck.h"
#include "refresh.h"
#include "republish.h"
#include "snapshot.h"
#include "report.h"
#include "swap.h"
#include "tsnssd.h"

struct options {
	const char *config_path;
	const char *explain;
	int foreground, debug, check_only;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tsnssd [-fdt] [-c FILE]\n"
	    "  -f, --foreground    stay attached and log to stderr\n"
	    "  -d, --debug         log every fetch and every decision\n"
	    "  -c, --config FILE   read FILE (default %s)\n"
	    "  -t, --check-config  check the configuration and exit\n"
	    "  -x, --explain WHO   what a login (or a local name) becomes, or "
	    "why not\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n",
	    TSNSSD_CONFIG_PATH);
}

static void
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"foreground", no_argument, NULL, 'f'},
	    {"debug", no_argument, NULL, 'd'},
	    {"config", required_argument, NULL, 'c'},
	    {"check-config", no_argument, NULL, 't'},
	    {"explain", required_argument, NULL, 'x'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	o->config_path = TSNSSD_CONFIG_PATH;
	while (
	    (ch = getopt_long(argc, argv, "fdc:tx:Vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->foreground = 1;
			break;
		case 'd':
			o->debug = 1;
			break;
		case 'c':
			o->config_path = optarg;
			break;
		case 't':
			o->check_only = 1;
			break;
		case 'x':
			o->explain = optarg;
			break;
		case 'V':
			printf("tsnssd %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
}

/*
 * Without --foreground: the parent stays until the child is ready, so
 * that "tsnssd && getent passwd alice" works and a failed start is seen
 * as a non-zero exit.
 */
static void
daemonize(struct tsnssd *d)
{
	int fds[2], devnull;
	char c;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		log_err("cannot daemonize: %s", strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(fds[1]);
		exit(read(fds[0], &c, 1) == 1 ? 0 : 1);
	}
	close(fds[0]);
	d->ready_fd = fds[1];
	setsid();
	if (chdir("/") != 0)
		exit(1);
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		if (devnull > 2)
			close(devnull);
	}
}

/*
 * Ready: the socket is up and there are users to serve.  Also after
 * READY_WAIT seconds without any, so that a logged-out tailscaled does
 * not hold up the boot; lookups fall through to files until then.
 */
#define READY_WAIT 10

static void
tell_ready(struct tsnssd *d)
{
	if (d->ready)
		return;
	d->ready = 1;
	notify_ready();
	if (d->ready_fd < 0)
		return;
	if (write(d->ready_fd, "r", 1) != 1)
		log_warn("cannot tell the parent we are ready");
	close(d->ready_fd);
	d->ready_fd = -1;
}

/* A snapshot was put in hand: ready, once the socket is up too. */
static void
on_serving(struct tsnssd *d)
{
	if (d->listener != NULL)
		tell_ready(d);
}

static void
on_ready_wait(evutil_socket_t fd, short what, void *arg)
{
	struct tsnssd *d = arg;

	if (d->listener != NULL && !d->ready) {
		log_warn("no users to serve after %d s; ready all the same",
		    READY_WAIT);
		tell_ready(d);
	}
}

static void
start_listening(struct tsnssd *d)
{
	char err[512];

	if (d->listener != NULL)
		return;
	d->listener = listener_new(d, control_handle, err, sizeof err);
	if (d->listener == NULL) {
		log_err("%s", err);
		event_base_loopbreak(d->base);
		return;
	}
	if (d->snap != NULL)
		tell_ready(d);
}

/* SIGUSR1: what tsnssctl status shows, one log line per line. */
static void
log_stats(const struct tsnssd *d)
{
	struct evbuffer *b = evbuffer_new();
	char *line;
	size_t n;

	report_status(d, b);
	while ((line = evbuffer_readln(b, &n, EVBUFFER_EOL_LF)) != NULL) {
		log_info("stats: %s", line);
		free(line);
	}
	evbuffer_free(b);
}

/*
 * SIGHUP: read the config again.  A bad new file, or a plugin that refuses
 * its new settings, is logged and the running config kept.  The socket
 * path is the one thing that needs a restart.
 */
static void
reload(struct tsnssd *d)
{
	char err[1024];
	struct config *cf;
	struct backend **b;

	cf = config_load(d->cf->path, err, sizeof err);
	if (cf == NULL) {
		log_err("reload refused, keeping the running config: %s", err);
		return;
	}
	b = backend_load_all(cf, d->base, err, sizeof err);
	if (b == NULL) {
		log_err("reload refused, keeping the running config: %s", err);
		config_free(cf);
		return;
	}
	if (strcmp(cf->socket_path, d->cf->socket_path) != 0)
		log_warn("a new socket path takes effect at restart");
	refresh_quiesce(d->refresh); /* a build may still read the old */
	backend_free_all(d->backends, d->cf->n_backends);
	config_free(d->cf);
	d->backends = b;
	d->cf = cf;
	log_info("configuration reloaded");
	refresh_reconfigure(d->refresh);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct tsnssd *d = arg;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("exiting on signal %d", (int)sig);
		event_base_loopexit(d->base, NULL);
		break;
	case SIGHUP:
		reload(d);
		break;
	case SIGUSR1:
		log_stats(d);
		break;
	}
}

static void
warn_stderr(const char *msg, void *arg)
{
	fprintf(stderr, "tsnssd: warning: %s\n", msg);
}

static void
warn_log(const char *msg, void *arg)
{
	log_warn("%s", msg);
}

/* subid_range against the shadow files (subid.h). */
static int
check_subids(const struct policy_config *pc, char *err, size_t errlen)
{
	struct subid_spans *etc =
	    subid_spans_load("/etc/subuid", "/etc/subgid");
	int rc = subid_check(pc, etc, warn_stderr, NULL, err, errlen);

	subid_spans_free(etc);
	return rc;
}

static int
check_config(const char *path)
{
	char err[1024];
	struct config *cf;
	struct backend **b;
	struct localdb *local;
	int rc;

	cf = config_load(path, err, sizeof err);
	if (cf == NULL) {
		fprintf(stderr, "tsnssd: %s\n", err);
		return 1;
	}
	b = backend_load_all(cf, NULL, err, sizeof err);
	if (b == NULL) {
		fprintf(stderr, "tsnssd: %s\n", err);
		config_free(cf);
		return 1;
	}
	range_check(&cf->policy, "/etc/subuid", "/etc/subgid", "/etc/passwd",
	    warn_stderr, NULL);
	nscd_check("/etc/nscd.conf", warn_stderr, NULL);
	local = localdb_load("/etc/passwd", "/etc/group");
	rc = identcheck(cf, local, warn_stderr, NULL, err, sizeof err);
	if (rc == 0)
		rc = check_subids(&cf->policy, err, sizeof err);
	if (rc == 0)
		localgroups_describe(&cf->policy, local, stdout);
	localdb_free(local);
	if (rc != 0)
		fprintf(stderr, "tsnssd: %s\n", err);
	else
		printf("tsnssd: configuration file %s is OK\n", path);
	backend_free_all(b, cf->n_backends);
	config_free(cf);
	return rc != 0;
}

/* A uid other services share could stop or trace tsnssd: not that. */
static int
refuse_shared_uid(void)
{
	char name[64];

	if (!identcheck_shared_uid(geteuid(), "/etc/passwd", name, sizeof name))
		return 0;
	fprintf(stderr,
	    "tsnssd: refusing to run as uid %u (%s), which other services "
	    "share; give tsnssd a user of its own (systemd: DynamicUser)\n",
	    (unsigned)geteuid(), name);
	return 1;
}

/*
 * The persisted snapshot, published and in hand, only if the local
 * account files are as they were when it was built: then it is what
 * applying the policy again would give, and can be served at once.
 */
static int
load_persisted(struct tsnssd *d)
{
	char err[512];
	struct snapshot *s =
	    cache_load(d->cf->cache_dir, policy_fingerprint(&d->cf->policy),
		d->cf->max_state_bytes, err, sizeof err);

	if (s == NULL) {
		if (err[0] != '\0')
			log_warn("%s", err);
		return -1;
	}
	if (s->h->local_hash == 0 ||
	    s->h->local_hash !=
		localdb_files_hash("/etc/passwd", "/etc/group")) {
		log_info("local accounts changed since the persisted snapshot; "
			 "rebuilding it before serving");
		snapshot_free(s);
		return -1;
	}
	log_info("loaded %u users from the persisted snapshot (%lld s old)",
	    s->h->n_users, (long long)(time(NULL) - s->h->created));
	(void)publish_logged(d->pub, s); /* run() retries a failure */
	swap_snapshot(d, s);
	return 0;
}

/*
 * The signals run() handles.  Until it does, they are held: a map
 * published before then must still be withdrawn when we are stopped.
 */
static const int handled_sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};

static void
hold_signals(int how)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof handled_sigs / sizeof handled_sigs[0]; i++)
		sigaddset(&set, handled_sigs[i]);
	sigprocmask(how, &set, NULL);
}

/*
 * The persisted snapshot, published before the backends are loaded
 * (their libraries take milliseconds to map): the first answer after a
 * restart waits for nothing else.
 */
static void
publish_early(struct tsnssd *d)
{
	hold_signals(SIG_BLOCK);
	d->pub = publisher_new(d->cf->map_path);
	(void)load_persisted(d);
}

/*
 * Each client holds a descriptor: take the hard limit, and keep
 * max_clients below it so accept() never meets EMFILE.
 */
static void
raise_fd_limit(struct tsnssd *d)
{
	struct rlimit rl;
	unsigned room;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	room = rl.rlim_cur > 128 + 64 ? (unsigned)(rl.rlim_cur - 64) : 128;
	if (d->cf->max_clients > room) {
		log_warn("max_clients %u is more than the descriptor limit "
			 "allows; using %u",
		    d->cf->max_clients, room);
		d->cf->max_clients = room;
	}
}

static uint64_t
thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * The loop, a turn at a time, so that the CPU one turn takes (how long a
 * client can be kept waiting behind it) is known.  Only this thread's CPU
 * counts: not the build worker's, nor time another process had the core.
 */
static void
dispatch(struct tsnssd *d)
{
	uint64_t before, spent;

	for (;;) {
		before = thread_cpu_us();
		if (event_base_loop(d->base, EVLOOP_ONCE) != 0)
			break;
		spent = thread_cpu_us() - before;
		if (spent > d->loop_max_us)
			d->loop_max_us = spent;
		if (event_base_got_exit(d->base) ||
		    event_base_got_break(d->base))
			break;
	}
}

static int
run(struct tsnssd *d)
{
	struct event *ev[sizeof handled_sigs / sizeof handled_sigs[0]], *wait;
	struct timeval tv = {READY_WAIT, 0};
	size_t i;
	int served;

	for (i = 0; i < sizeof ev / sizeof ev[0]; i++) {
		ev[i] = evsignal_new(d->base, handled_sigs[i], on_signal, d);
		evsignal_add(ev[i], NULL);
	}
	hold_signals(SIG_UNBLOCK);
	wait = evtimer_new(d->base, on_ready_wait, d);
	evtimer_add(wait, &tv);
	raise_fd_limit(d);
	d->on_serving = on_serving;
	d->republish = republisher_new(d);
	republisher_arm(d->republish); /* the persisted snapshot's publish */
	/*
	 * The last good answer, through today's policy and local accounts,
	 * before anything is served: at once from the persisted snapshot if
	 * the local accounts did not change since it was built (published
	 * first, before even the backends were loaded; rebuilt in the
	 * background all the same), else rebuilt first.  Never the persisted
	 * snapshot unchecked: a local account made since could be handed a
	 * tailnet user's groups.
	 */
	served = d->snap != NULL;
	d->refresh = refresh_new(d, start_listening);
	if (d->refresh == NULL)
		return 1;
	if (served)
		(void)refresh_restore(d->refresh, 0);
	else if (refresh_restore(d->refresh, 1) != 0)
		log_warn("no persisted snapshot or answer passes the local "
			 "accounts check; serving nothing from disk until a "
			 "backend answers");
	if (d->snap != NULL)
		start_listening(d);
	refresh_now(d->refresh);
	dispatch(d);
	/* stopped on purpose: the NSS module must not go on answering */
	refresh_quiesce(d->refresh);
	publisher_withdraw(d->pub);
	for (i = 0; i < sizeof ev / sizeof ev[0]; i++)
		event_free(ev[i]);
	event_free(wait);
	return d->listener != NULL ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct options o = {0};
	struct tsnssd d = {.ready_fd = -1};
	char err[1024];
	int rc;

	/*
	 * It holds secrets (API keys, uid_key_file): no core file, and no
	 * other process of its uid reads its memory through /proc or ptrace.
	 */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	parse_args(argc, argv, &o);
	if (o.check_only)
		return check_config(o.config_path);
	d.cf = config_load(o.config_path, err, sizeof err);
	if (d.cf == NULL) {
		fprintf(stderr, "tsnssd: %s\n", err);
		return 1;
	}
	if (o.explain == NULL && refuse_shared_uid()) {
		config_free(d.cf);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	if (o.explain != NULL)
		o.foreground = 1;
	if (!o.foreground)
		daemonize(&d);
	log_open(o.foreground, o.debug);
	if (o.explain == NULL) {
		log_info("tsnssd %s starting, %zu backend%s", PACKAGE_VERSION,
		    d.cf->n_backends, d.cf->n_backends == 1 ? "" : "s");
		publish_early(&d);
	}
	d.base = event_base_new();
	if (d.base != NULL)
		d.backends = backend_load_all(d.cf, d.base, err, sizeof err);
	if (d.base == NULL || d.backends == NULL) {
		log_err("%s", d.base ? err : "cannot create the event loop");
		publisher_withdraw(d.pub);
		rc = 1;
		goto out;
	}
	if (o.explain != NULL) {
		rc = explain_login(&d, o.explain, stdout);
		goto out;
	}
	range_check(&d.cf->policy, "/etc/subuid", "/etc/subgid", "/etc/passwd",
	    warn_log, NULL);
	rc = run(&d);
out:
	listener_free(d.listener);
	refresh_free(d.refresh);
	republisher_free(d.republish);
	publisher_free(d.pub);
	backend_free_all(d.backends, d.cf->n_backends);
	snapshot_free(d.snap);
	config_free(d.cf);
	if (d.base != NULL)
		event_base_free(d.base);
	return rc;
}
