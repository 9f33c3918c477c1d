/*
 * httpreq.h - HTTP requests on curlev, with the bookkeeping every
 * backend's client needs: the requests under way, the answer's body
 * with its bound, a stream's share per turn of the loop, one reply for
 * the owner.  A client (tailscale/localapi.c, tailscale-api/http.c)
 * then only says what is its own: the transport's options, its headers
 * and its sentences for what went wrong.
 *
 * httpreq_new() makes a request, the owner adds headers and options,
 * httpreq_start() hands it over.  From then on done is called exactly
 * once, from the loop and outside libcurl, unless httpreq_client_free()
 * cancels it first.  done may start requests or free the client.
 * Nothing here blocks.
 */
#ifndef TSNSS_HTTPREQ_H
#define TSNSS_HTTPREQ_H

#include <stddef.h>

#include <curl/curl.h>

#pragma GCC visibility push(hidden)

struct event_base;
struct httpreq_client;
struct httpreq;

struct httpreq_limits {
	long timeout_ms;  /* a whole request; 0: no bound (a stream) */
	long connect_ms;  /* its connection */
	size_t max_bytes; /* a body that is kept, or a bounded sink's */
	size_t
	    turn_bytes; /* given to sinks per turn of the loop; 0: no bound */
};

/* reply and everything it points to are valid only during the call. */
struct httpreq_reply {
	CURLcode code;	  /* CURLE_OK when a whole answer came back */
	long status;	  /* HTTP status, 0 if there was no answer */
	const char *body; /* the bytes kept, NUL-terminated; never NULL */
	size_t len;
	size_t received;    /* the body's bytes, kept or given to a sink */
	const char *header; /* the value of spec.header in the answer, or "" */
	/* NULL when all went well; else the client's sentence for the admin */
	const char *error;
	/* What the client's describe function words the error from: */
	const struct httpreq_limits *limits; /* the client's */
	const char *what;		     /* spec.what, else the URL */
	const char *curl_error; /* libcurl's words on the failure, or "" */
	CURL *easy;		/* for curl_easy_getinfo() */
	int too_big;		/* the body would pass max_bytes */
	int no_memory;		/* the body could not be kept */
	int sink_refused;	/* the sink asked to stop */
};

typedef void httpreq_done_fn(const struct httpreq_reply *reply, void *arg);
/*
 * Bytes of a streamed 200 answer as they arrive, from inside libcurl:
 * must not call into this client.  Nonzero abandons the stream.
 */
typedef int httpreq_sink_fn(const char *data, size_t len, void *arg);
/*
 * The client's words for a reply: NULL if it went well, else msg filled.
 * arg is httpreq_client_new()'s.  Never a secret.
 */
typedef const char *httpreq_describe_fn(
    const struct httpreq_reply *reply, void *arg, char *msg, size_t len);

struct httpreq_spec {
	const char *url;
	const char *what;      /* what errors call it; NULL: the URL */
	const char *header;    /* an answer's header to report, e.g. "Date" */
	const char *post;      /* POSTed as given, or NULL; wiped at the end */
	httpreq_sink_fn *sink; /* a 200 answer's body goes here, not kept */
	int bounded;	       /* ... at most max_bytes of it (not a stream) */
	int secret;	       /* the answer holds a secret: wipe it */
	int https;	       /* https too (TLS 1.2 or later), not only http */
};

/* Returns NULL when out of memory or when libcurl cannot start. */
struct httpreq_client *httpreq_client_new(struct event_base *base,
    const struct httpreq_limits *limits, httpreq_describe_fn *describe,
    void *arg);

/* Cancel every request (no done is called) and free; safe inside done. */
void httpreq_client_free(struct httpreq_client *c);

/*
 * A request, not yet started: spec is copied.  Returns NULL when out of
 * memory.  The owner then adds headers and options, and always calls
 * httpreq_start(), which reports any failure among them.
 */
struct httpreq *httpreq_new(struct httpreq_client *c,
    const struct httpreq_spec *spec, httpreq_done_fn *done, void *arg);

/*
 * Send the header line start + rest, e.g. ("Accept: ", "text/plain").
 * Header lines are wiped when the request ends: they may hold a token.
 */
void httpreq_header(struct httpreq *r, const char *start, const char *rest);

/* Set a libcurl option of the owner's; a failure fails httpreq_start(). */
#define HTTPREQ_SET(r, opt, val)                                               \
	httpreq_check((r), curl_easy_setopt(httpreq_easy(r), (opt), (val)))
CURL *httpreq_easy(struct httpreq *r);
void httpreq_check(struct httpreq *r, CURLcode rc);

/*
 * Start r.  Returns 0, or -1 when r or anything set up on it failed:
 * then r is freed and done is never called.
 */
int httpreq_start(struct httpreq *r);

/*
 * The start of a body, safe to log: printable ASCII, at most max bytes
 * of it and "..." after a cut, or "(no body)", into out of size bytes
 * (max + 4 hold it all).
 */
void httpreq_excerpt(
    const struct httpreq_reply *reply, size_t max, char *out, size_t size);

#pragma GCC visibility pop

#endif
