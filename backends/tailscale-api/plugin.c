/*
 * plugin.c - the tailscale-api backend: every user of a tailnet, as the
 * Tailscale control-plane API lists them
 * (GET {url}/api/v2/tailnet/{tailnet}/users?type=all).
 *
 * [tailscale-api] settings of its own (the daemon keeps the rest):
 *   url                the API, https:// (http:// only to loopback)
 *   tailnet            the tailnet to list; "-" is the credential's own
 *   user_type          which users to list: all (default), member, shared
 *   api_key_file       a file holding an API access token, or
 *   oauth_client_id    an OAuth client's id, with
 *   oauth_secret_file  a file holding its secret
 *   timeout_ms         bound on one whole request, 10..600000
 *   max_answer_bytes   bound on an answer, 4096..4294967296
 *
 * A secret is read from its file when a request needs it (so a rotated
 * key is used at the next refresh) and wiped when the request is over.
 * An OAuth access token is kept until shortly before it expires.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>

#include "credential.h"
#include "fetch.h"
#include "http.h"
#include "jdoc.h"
#include "oauth.h"
#include "plugin.h"
#include "secret.h"
#include "setting.h"
#include "url.h"
#include "users.h"

#define DEFAULT_URL "https://api.tailscale.com"
#define DEFAULT_TAILNET "-"
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_MAX_BYTES (64L * 1024 * 1024)
#define TOKEN_PATH "/api/v2/oauth/token"
#define RETRY_AFTER_MAX 3600 /* s: the most a Retry-After holds us back */

struct api_plugin {
	struct tsnss_host host;
	char *url;	       /* checked, no trailing slash */
	char *tailnet;	       /* as given */
	const char *user_type; /* all, member or shared */
	char *users_url;       /* made at init */
	char *token_url;
	char *key_file;	   /* api_key_file, or */
	char *client_id;   /* oauth_client_id with */
	char *secret_file; /* oauth_secret_file */
	long timeout_ms;
	size_t max_bytes;
	/* made at the first fetch: init does no I/O */
	struct httpreq_client *http;
	struct fetch fetch; /* the one under way */
	/* the users answer under way, read as it arrives */
	struct jdoc *parser;
	size_t got;    /* bytes of it so far */
	int too_big;   /* past max_answer_bytes */
	char bad[200]; /* why the parser refused it, or "" */
	int retried;   /* this fetch already re-authenticated after a 401 */
	char *token;   /* the OAuth access token, or NULL */
	time_t token_expiry; /* CLOCK_MONOTONIC seconds */
	long token_life;
	long last_status;      /* of the last request; 0 none */
	time_t quiet_until;    /* Retry-After: not asked before (monotonic) */
	const char *last_what; /* "users" or "token" */
	/* the counts of the last good answer, and whether there was one */
	struct api_users counts;
	int have_counts;
};

/* --- settings ------------------------------------------------------------ */

static int
set_url(void *to, const struct tsnss_setting *s, char *err, size_t errlen)
{
	char **url = to, why[300],
	     *u = api_url_check(s->value, why, sizeof why);

	if (u == NULL) {
		snprintf(err, errlen, "line %u: %s", s->line, why);
		return -1;
	}
	free(*url);
	*url = u;
	return 0;
}

/*
 * all lists the users shared into the tailnet as well; headscale's copy
 * of the API answers type=all with no users, so it needs member.
 */
static int
set_type(void *to, const struct tsnss_setting *s, char *err, size_t errlen)
{
	struct api_plugin *p = to;
	static const char *const types[] = {"all", "member", "shared"};
	size_t i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(s->value, types[i]) == 0) {
			p->user_type = types[i];
			return 0;
		}
	snprintf(err, errlen,
	    "line %u: user_type must be all, member or shared", s->line);
	return -1;
}

/*
 * Where a secret is: api_key_file, oauth_secret_file.  An absolute path,
 * or credential:NAME, which systemd's LoadCredential= hands over.
 */
static int
set_secret(void *to, const struct tsnss_setting *s, char *err, size_t errlen)
{
	const int cred = tsnss_is_credential(s->value);
	const struct setting_key key = {.key = s->key,
	    .type = cred ? SETTING_TEXT : SETTING_PATH,
	    .to = to};

	if (cred && !tsnss_credential_name_ok(s->value)) {
		snprintf(err, errlen,
		    "line %u: %s: '%s' is not a credential name systemd "
		    "accepts (1 to 255 bytes, no '/')",
		    s->line, s->key,
		    s->value + strlen(TSNSS_CREDENTIAL_PREFIX));
		return -1;
	}
	return setting_text(&key, s, err, errlen);
}

#define N_KEYS 8

/* Its own keys, and the transfer's: where each value goes in p. */
static void
keys_of(struct api_plugin *p, struct setting_key *to)
{
	const struct setting_key keys[] = {
	    {"url", SETTING_CALL_TEXT, &p->url, .call = set_url},
	    {"tailnet", SETTING_TEXT, .to = &p->tailnet},
	    {"api_key_file", SETTING_CALL_TEXT, &p->key_file,
		.call = set_secret},
	    {"oauth_client_id", SETTING_TEXT, .to = &p->client_id},
	    {"oauth_secret_file", SETTING_CALL_TEXT, &p->secret_file,
		.call = set_secret},
	    {"user_type", SETTING_CALL, p, .call = set_type},
	    SETTING_TRANSFER_KEYS(&p->timeout_ms, &p->max_bytes),
	};

	_Static_assert(sizeof keys / sizeof *keys == N_KEYS, "N_KEYS");
	memcpy(to, keys, sizeof keys);
}

/* Exactly one way to authenticate, and its secret file must be safe. */
static int
check_auth(struct api_plugin *p, char *err, size_t errlen)
{
	char *secret = NULL;
	int oauth = p->client_id != NULL || p->secret_file != NULL;

	if (p->key_file != NULL && oauth) {
		snprintf(err, errlen,
		    "give either api_key_file or "
		    "oauth_client_id with oauth_secret_file, not both");
		return -1;
	}
	if (p->key_file == NULL && !oauth) {
		snprintf(err, errlen,
		    "needs api_key_file, or oauth_client_id "
		    "with oauth_secret_file");
		return -1;
	}
	if (oauth && (p->client_id == NULL || p->secret_file == NULL)) {
		snprintf(err, errlen,
		    "oauth_client_id and oauth_secret_file "
		    "go together");
		return -1;
	}
	if (secret_read(oauth ? "oauth_secret_file" : "api_key_file",
		oauth ? p->secret_file : p->key_file, &secret, err, errlen) < 0)
		return -1;
	secret_free(secret);
	return 0;
}

/* The pieces joined: the URLs are made once, at init. */
static char *
url_join(const char *base, const char *a, const char *b, const char *c,
    const char *d)
{
	size_t len =
	    strlen(base) + strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;
	char *s = malloc(len);

	if (s != NULL)
		snprintf(s, len, "%s%s%s%s%s", base, a, b, c, d);
	return s;
}

static int
make_urls(struct api_plugin *p, char *err, size_t errlen)
{
	char *tn = api_escape(p->tailnet);

	if (tn != NULL) {
		p->users_url = url_join(p->url, "/api/v2/tailnet/", tn,
		    "/users?type=", p->user_type);
		p->token_url = url_join(p->url, TOKEN_PATH, "", "", "");
	}
	free(tn);
	if (p->users_url == NULL || p->token_url == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void api_free(void *state);

static void *
api_init(const struct tsnss_host *host, const struct tsnss_setting *settings,
    size_t n_settings, char *err, size_t errlen)
{
	struct api_plugin *p = calloc(1, sizeof *p);
	struct setting_key keys[N_KEYS];

	if (p == NULL || (p->url = strdup(DEFAULT_URL)) == NULL ||
	    (p->tailnet = strdup(DEFAULT_TAILNET)) == NULL) {
		snprintf(err, errlen, "out of memory");
		api_free(p);
		return NULL;
	}
	fetch_host(&p->host, host);
	p->timeout_ms = DEFAULT_TIMEOUT_MS;
	p->max_bytes = DEFAULT_MAX_BYTES;
	p->user_type = "all";
	keys_of(p, keys);
	if (settings_apply(keys, N_KEYS, "tailscale-api", settings, n_settings,
		err, errlen) < 0 ||
	    check_auth(p, err, errlen) < 0 || make_urls(p, err, errlen) < 0)
		goto fail;
	return p;
fail:
	api_free(p);
	return NULL;
}

/* --- results ------------------------------------------------------------- */

static size_t
user_attrs(const struct api_user *u, struct tsnss_attr *a)
{
	size_t n = 0;

	if (u->role != NULL)
		a[n++] = (struct tsnss_attr){"role", u->role};
	a[n++] = (struct tsnss_attr){"status", u->status};
	if (u->type != NULL)
		a[n++] = (struct tsnss_attr){"type", u->type};
	return n;
}

static void
report_users(struct api_plugin *p, struct api_users *u)
{
	struct tsnss_identity *ids = calloc(u->n + 1, sizeof *ids);
	struct tsnss_attr *attrs = calloc(3 * u->n + 1, sizeof *attrs);
	size_t i;

	if (ids == NULL || attrs == NULL) {
		free(ids);
		free(attrs);
		api_users_free(u);
		fetch_end(
		    &p->fetch, TSNSS_FETCH_ERROR, "out of memory", NULL, 0);
		return;
	}
	for (i = 0; i < u->n; i++) {
		ids[i].id = u->users[i].id;
		ids[i].login = u->users[i].login;
		ids[i].display_name = u->users[i].display_name;
		ids[i].attrs = &attrs[3 * i];
		ids[i].n_attrs = user_attrs(&u->users[i], &attrs[3 * i]);
	}
	fetch_end(&p->fetch, TSNSS_FETCH_OK, NULL, ids, u->n);
	free(ids);
	free(attrs);
	api_users_free(u);
}

/* Warn when entries are left out for being unreadable, not quietly. */
static void
note_counts(struct api_plugin *p, const struct api_users *u)
{
	if (u->n_odd > 0)
		p->host.log(u->n_odd != p->counts.n_odd || !p->have_counts
				? LOG_WARNING
				: LOG_DEBUG,
		    "tailscale-api: left out %zu user(s) the API listed; the "
		    "first because %s",
		    u->n_odd, u->odd_reason ? u->odd_reason : "(unknown)");
	p->counts.n = u->n;
	p->counts.n_inactive = u->n_inactive;
	p->counts.n_pseudo = u->n_pseudo;
	p->counts.n_odd = u->n_odd;
	p->have_counts = 1;
}

/* --- fetching ------------------------------------------------------------ */

static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
drop_token(struct api_plugin *p)
{
	secret_free(p->token);
	p->token = NULL;
}

/*
 * Used until a tenth of its life (1 s to 5 min) before it expires, so a
 * request never goes out with a token that dies on the way.
 */
static int
token_fresh(const struct api_plugin *p)
{
	long margin = p->token_life / 10;

	margin = margin < 1 ? 1 : margin > 300 ? 300 : margin;
	return p->token != NULL && now_s() + margin < p->token_expiry;
}

static int
is_credentials(long status)
{
	return status == 401 || status == 403;
}

static void on_users(const struct httpreq_reply *reply, void *arg);
static void on_token(const struct httpreq_reply *reply, void *arg);

static int
cannot_start(struct api_plugin *p, const char *url)
{
	snprintf(p->fetch.why, sizeof p->fetch.why,
	    "cannot start a request to %s (out of memory?)", url);
	return -1;
}

/*
 * The users answer as it arrives (from inside libcurl, bounded there by
 * max_answer_bytes): parsed at once, so it is never held whole.
 */
static int
on_users_data(const char *data, size_t len, void *arg)
{
	struct api_plugin *p = arg;

	return jdoc_feed(p->parser, data, len, p->bad, sizeof p->bad);
}

static int
get_users(struct api_plugin *p, const char *bearer)
{
	struct http_request req = {.url = p->users_url,
	    .bearer = bearer,
	    .what = p->users_url,
	    .header = "Retry-After",
	    .sink = on_users_data};

	jdoc_free(p->parser);
	p->bad[0] = '\0';
	if ((p->parser = api_users_parser_new()) == NULL ||
	    http_start(p->http, &req, on_users, p) < 0)
		return cannot_start(p, p->users_url);
	return 0;
}

static int
get_token(struct api_plugin *p)
{
	char *secret = NULL, *form;
	struct http_request req = {.url = p->token_url, .what = p->token_url};
	int rc;

	if (secret_read("oauth_secret_file", p->secret_file, &secret,
		p->fetch.why, sizeof p->fetch.why) < 0)
		return -1;
	form = oauth_form(p->client_id, secret);
	secret_free(secret);
	req.form = form;
	rc = form != NULL ? http_start(p->http, &req, on_token, p) : -1;
	secret_free(form);
	return rc < 0 ? cannot_start(p, p->token_url) : 0;
}

/*
 * A 429 or 503's Retry-After, in seconds (an HTTP date is not trusted: a
 * clock apart would make it anything); bounded, so a hostile answer
 * cannot silence the API for ever.  0 if none.
 */
static long
retry_after(const struct httpreq_reply *reply)
{
	char *end;
	long s;

	if (reply->status != 429 && reply->status != 503)
		return 0;
	s = strtol(reply->header, &end, 10);
	if (end == reply->header || *end != '\0' || s < 1)
		return 0;
	return s > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : s;
}

/* The API asked not to be asked before then: no request, whoever asks. */
static int
asked_to_wait(struct api_plugin *p)
{
	if (now_s() >= p->quiet_until)
		return 0;
	snprintf(p->fetch.why, sizeof p->fetch.why,
	    "rate limited: the API asked for no request for another %lld s "
	    "(Retry-After); backing off",
	    (long long)(p->quiet_until - now_s()));
	return 1;
}

static int
start(struct api_plugin *p)
{
	char *key = NULL;

	if (asked_to_wait(p))
		return -1;
	int rc;

	if (p->http == NULL &&
	    (p->http = http_new(p->host.base, p->timeout_ms, DEFAULT_CONNECT_MS,
		 p->max_bytes)) == NULL) {
		snprintf(p->fetch.why, sizeof p->fetch.why,
		    "cannot set up libcurl to reach %s", p->url);
		return -1;
	}
	if (p->client_id != NULL)
		return token_fresh(p) ? get_users(p, p->token) : get_token(p);
	if (secret_read("api_key_file", p->key_file, &key, p->fetch.why,
		sizeof p->fetch.why) < 0)
		return -1;
	rc = get_users(p, key);
	secret_free(key);
	return rc;
}

static void
report_http(struct api_plugin *p, const struct httpreq_reply *reply)
{
	char detail[700];
	long wait = retry_after(reply);

	if (wait > 0)
		p->quiet_until = now_s() + wait;
	if (is_credentials(reply->status))
		snprintf(detail, sizeof detail,
		    "credentials problem: %s; the %s is wrong, expired or "
		    "lacks the users:read scope",
		    reply->error,
		    p->client_id ? "OAuth client" : "key in api_key_file");
	else if (reply->status == 429 && wait > 0)
		snprintf(detail, sizeof detail,
		    "rate limited: %s; Retry-After %ld s: backing off",
		    reply->error, wait);
	else if (reply->status == 429)
		snprintf(detail, sizeof detail, "rate limited: %s; backing off",
		    reply->error);
	else if (reply->status >= 500)
		snprintf(detail, sizeof detail, "server error: %s; backing off",
		    reply->error);
	else
		snprintf(detail, sizeof detail, "%s", reply->error);
	fetch_end(&p->fetch, TSNSS_FETCH_ERROR, detail, NULL, 0);
}

static void
on_token(const struct httpreq_reply *reply, void *arg)
{
	struct api_plugin *p = arg;
	char why[200], detail[700];
	long life;

	p->last_status = reply->status;
	p->last_what = "token";
	if (reply->error != NULL &&
	    (is_credentials(reply->status) || reply->status == 400)) {
		snprintf(detail, sizeof detail,
		    "credentials problem: the OAuth client was refused (%s); "
		    "check oauth_client_id and oauth_secret_file",
		    reply->error);
		fetch_end(&p->fetch, TSNSS_FETCH_ERROR, detail, NULL, 0);
		return;
	}
	if (reply->error != NULL) {
		report_http(p, reply);
		return;
	}
	drop_token(p);
	if (oauth_parse(reply->body, reply->len, &p->token, &life, why,
		sizeof why) < 0) {
		snprintf(detail, sizeof detail, "%s: %s", p->token_url, why);
		fetch_end(&p->fetch, TSNSS_FETCH_ERROR, detail, NULL, 0);
		return;
	}
	p->token_life = life;
	p->token_expiry = now_s() + life;
	p->host.log(LOG_DEBUG,
	    "tailscale-api: got an access token valid for %ld s", life);
	if (get_users(p, p->token) < 0)
		fetch_end(&p->fetch, TSNSS_FETCH_ERROR, p->fetch.why, NULL, 0);
}

/*
 * A tailnet always has its owner: a list with nobody in it means a wrong
 * tailnet, filter or server (headscale answers type=all that way), never
 * that everyone left.  The last good users stay.
 */
static void
report_empty(struct api_plugin *p)
{
	char detail[600];

	snprintf(detail, sizeof detail,
	    "%s listed no users at all; check tailnet and user_type "
	    "(headscale needs user_type = member)",
	    p->users_url);
	fetch_end(&p->fetch, TSNSS_FETCH_NOT_READY, detail, NULL, 0);
}

/*
 * The parsed answer, or NULL with why not in detail.  Another 2xx than
 * 200 was kept whole (bounded by max_answer_bytes): it is read the same.
 */
static struct api_users *
users_result(struct api_plugin *p, const struct httpreq_reply *reply,
    char *detail, size_t len)
{
	struct api_users *u = NULL;

	if (p->bad[0] == '\0' && reply->len > 0)
		jdoc_feed(
		    p->parser, reply->body, reply->len, p->bad, sizeof p->bad);
	if (p->bad[0] == '\0')
		api_users_parser_finish(p->parser, &u, p->bad, sizeof p->bad);
	if (p->bad[0] != '\0')
		snprintf(detail, len, "malformed users JSON from %s: %s",
		    p->users_url, p->bad);
	jdoc_free(p->parser);
	p->parser = NULL;
	return u;
}

static void
on_users(const struct httpreq_reply *reply, void *arg)
{
	struct api_plugin *p = arg;
	struct api_users *u;
	char detail[600];

	p->last_status = reply->status;
	p->last_what = "users";
	if (reply->status == 401 && p->client_id != NULL && !p->retried) {
		/* revoked or expired early: one fresh token, then give up */
		p->retried = 1;
		drop_token(p);
		if (get_token(p) < 0)
			fetch_end(&p->fetch, TSNSS_FETCH_ERROR, p->fetch.why,
			    NULL, 0);
		return;
	}
	if (reply->error != NULL && p->bad[0] == '\0') {
		report_http(p, reply);
		return;
	}
	if ((u = users_result(p, reply, detail, sizeof detail)) == NULL) {
		fetch_fail(&p->fetch, detail);
		return;
	}
	p->host.log(LOG_DEBUG,
	    "tailscale-api: %zu bytes, %zu users; left out %zu not active, "
	    "%zu tagged-devices, %zu unreadable",
	    reply->received, u->n, u->n_inactive, u->n_pseudo, u->n_odd);
	note_counts(p, u);
	if (u->n + u->n_inactive + u->n_pseudo + u->n_odd == 0) {
		api_users_free(u);
		report_empty(p);
		return;
	}
	report_users(p, u);
	fetch_trim(); /* p may be gone: touched no more */
}

static int
api_fetch(void *state, tsnss_fetch_done_fn *done, void *arg)
{
	struct api_plugin *p = state;

	if (fetch_begin(&p->fetch, p->host.base, done, arg) < 0)
		return -1;
	p->retried = 0;
	if (start(p) < 0 && fetch_fail_soon(&p->fetch) < 0)
		return -1;
	return 0;
}

/* --- status and the end -------------------------------------------------- */

static void
api_describe(void *state, char *buf, size_t len)
{
	struct api_plugin *p = state;
	const struct api_users *u = p->have_counts ? &p->counts : NULL;
	char status[48] = "none yet", token[64] = "not used (api_key_file)";

	if (p->last_what != NULL)
		snprintf(status, sizeof status, "%ld (%s request)",
		    p->last_status, p->last_what);
	if (p->client_id != NULL && !token_fresh(p))
		snprintf(token, sizeof token, "none");
	else if (p->client_id != NULL)
		snprintf(token, sizeof token, "expires in %lld s",
		    (long long)(p->token_expiry - now_s()));
	snprintf(buf, len,
	    "api url:          %s (tailnet %s)\n"
	    "api auth:         %s %s\n"
	    "api last http:    %s\n"
	    "api users:        %zu listed; left out %zu not active, "
	    "%zu tagged-devices, %zu unreadable\n"
	    "api token:        %s\n",
	    p->url, p->tailnet,
	    p->client_id ? "oauth client, secret in" : "api key in",
	    p->client_id ? p->secret_file : p->key_file, status, u ? u->n : 0,
	    u ? u->n_inactive : 0, u ? u->n_pseudo : 0, u ? u->n_odd : 0,
	    token);
}

static void
api_free(void *state)
{
	struct api_plugin *p = state;
	struct setting_key keys[N_KEYS];

	if (p == NULL)
		return;
	fetch_clear(&p->fetch);
	httpreq_client_free(p->http);
	drop_token(p);
	jdoc_free(p->parser);
	keys_of(p, keys);
	settings_free(keys, N_KEYS);
	free(p->users_url);
	free(p->token_url);
	free(p);
}

FETCH_PLUGIN("tailscale-api", api,
    300 /* the whole user list, from a rate-limited API */);
