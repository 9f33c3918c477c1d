/*
 * test-unpack.c - the stub's reply parser against good and hostile bytes,
 * and against every buffer size up to the one that fits.
 */
#ifdef HAVE_CONFIG_H
#include "autoconfig.h"
#endif

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nss-tailscale.h"
#include "tap.h"

/* tap.h's is_int and is_str, with a printf-style description. */
#define is_intf(got, want, ...)                                                \
	do {                                                                   \
		char what_[160];                                               \
		snprintf(what_, sizeof what_, __VA_ARGS__);                    \
		is_int(got, want, what_);                                      \
	} while (0)
#define is_strf(got, want, ...)                                                \
	do {                                                                   \
		char what_[160];                                               \
		snprintf(what_, sizeof what_, __VA_ARGS__);                    \
		is_str(got, want, what_);                                      \
	} while (0)

/* The gids decoder, in this file's EINVAL convention. */
static int
unpack_gids(const unsigned char *p, size_t len, uint32_t *n)
{
	return tsnss_wire_get_gids(p, len, n) == 0 ? 0 : EINVAL;
}

/* A payload under construction; big enough for the limit tests. */
struct msg {
	unsigned char *b;
	size_t n, cap;
};

static void
grow(struct msg *m, size_t more)
{
	if (m->n + more <= m->cap)
		return;
	m->cap = (m->n + more) * 2;
	if ((m->b = realloc(m->b, m->cap)) == NULL)
		abort();
}

static void
u32(struct msg *m, uint32_t v)
{
	grow(m, 4);
	memcpy(m->b + m->n, &v, 4);
	m->n += 4;
}

static void
bytes(struct msg *m, const void *p, size_t len)
{
	u32(m, (uint32_t)len);
	grow(m, len);
	if (len > 0)
		memcpy(m->b + m->n, p, len);
	m->n += len;
}

static void
str(struct msg *m, const char *s)
{
	bytes(m, s, strlen(s));
}

static void
set_u32(struct msg *m, size_t at, uint32_t v)
{
	memcpy(m->b + at, &v, 4);
}

static void
msg_free(struct msg *m)
{
	free(m->b);
	m->b = NULL;
	m->n = m->cap = 0;
}

static const char *const pw_fields[] = {
    "alice", "*", "Alice Liddell", "/home/alice", "/bin/bash"};

/* uid, gid, then the five strings; at[i] is where string i's length is. */
static struct msg
passwd_msg(size_t at[5])
{
	struct msg m = {NULL, 0, 0};
	int i;

	u32(&m, 1234);
	u32(&m, 5678);
	for (i = 0; i < 5; i++) {
		if (at)
			at[i] = m.n;
		str(&m, pw_fields[i]);
	}
	return m;
}

static size_t
passwd_need(void)
{
	size_t need = 0;
	int i;

	for (i = 0; i < 5; i++)
		need += strlen(pw_fields[i]) + 1;
	return need;
}

static const char *const gr_members[] = {"alice", "bob"};

/* gid 90000 "staff" with alice and bob; at[] as for passwd_msg. */
static struct msg
group_msg(size_t at[4])
{
	struct msg m = {NULL, 0, 0};

	u32(&m, 90000);
	u32(&m, 2);
	if (at)
		at[0] = m.n;
	str(&m, "staff");
	if (at)
		at[1] = m.n;
	str(&m, "*");
	if (at)
		at[2] = m.n;
	str(&m, gr_members[0]);
	if (at)
		at[3] = m.n;
	str(&m, gr_members[1]);
	return m;
}

/* What group_msg needs in a buffer starting at an aligned address. */
static size_t
group_need(void)
{
	return 3 * sizeof(char *) + sizeof "staff" + sizeof "*" +
	       sizeof "alice" + sizeof "bob";
}

/* Every proper prefix of m must be EINVAL, read from an exact copy. */
static size_t
truncations_rejected(const struct msg *m, int group)
{
	static char buf[4096];
	struct passwd pw;
	struct group gr;
	size_t len, bad = 0;
	unsigned char *copy;
	int rc;

	for (len = 0; len < m->n; len++) {
		/* a copy of exactly len bytes, so ASan sees any overread */
		copy = malloc(len ? len : 1);
		memcpy(copy, m->b, len);
		rc = group
			 ? tsnss_unpack_group(copy, len, &gr, buf, sizeof buf)
			 : tsnss_unpack_passwd(copy, len, &pw, buf, sizeof buf);
		bad += rc == EINVAL;
		free(copy);
	}
	return bad;
}

static void
test_passwd_good(void)
{
	struct msg m = passwd_msg(NULL);
	struct passwd pw;
	char buf[256];

	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf), 0,
	    "passwd: a good payload unpacks");
	is_str(pw.pw_name, "alice", "passwd: pw_name");
	is_str(pw.pw_passwd, "*", "passwd: pw_passwd");
	is_int(pw.pw_uid, 1234, "passwd: pw_uid");
	is_int(pw.pw_gid, 5678, "passwd: pw_gid");
	is_str(pw.pw_gecos, "Alice Liddell", "passwd: pw_gecos");
	is_str(pw.pw_dir, "/home/alice", "passwd: pw_dir");
	is_str(pw.pw_shell, "/bin/bash", "passwd: pw_shell");
	ok(pw.pw_name >= buf && pw.pw_shell < buf + sizeof buf,
	    "passwd: the strings live in the caller's buffer");
	msg_free(&m);
}

static void
test_passwd_sizes(void)
{
	struct msg m = passwd_msg(NULL);
	size_t need = passwd_need(), len, eranges = 0, untouched = 0;
	struct passwd pw;
	char *buf;

	for (len = 0; len < need; len++) {
		/* exactly len bytes, so ASan sees any overrun */
		buf = malloc(len ? len : 1);
		memset(&pw, 0x5a, sizeof pw);
		eranges +=
		    tsnss_unpack_passwd(m.b, m.n, &pw, buf, len) == ERANGE;
		untouched += pw.pw_uid == 0x5a5a5a5a;
		free(buf);
	}
	is_int(
	    eranges, need, "passwd: every buflen from 0 to need-1 is ERANGE");
	is_int(untouched, need, "passwd: ERANGE leaves the struct untouched");
	buf = malloc(need);
	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, buf, need), 0,
	    "passwd: exactly the need is enough");
	is_str(
	    pw.pw_shell, "/bin/bash", "passwd: ... and the last string fits");
	free(buf);
	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, NULL, 0), ERANGE,
	    "passwd: a NULL, empty buffer is ERANGE");
	msg_free(&m);
}

static void
test_passwd_hostile(void)
{
	struct msg m = passwd_msg(NULL);
	size_t at[5], n;
	struct passwd pw;
	char buf[256];
	int i;

	is_int(truncations_rejected(&m, 0), m.n,
	    "passwd: every truncation is EINVAL");
	grow(&m, 1);
	m.b[m.n++] = 'x';
	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf), EINVAL,
	    "passwd: a trailing byte is EINVAL");
	msg_free(&m);
	for (i = 0; i < 5; i++) {
		m = passwd_msg(at);
		set_u32(&m, at[i], 0xffffffffu);
		is_intf(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf),
		    EINVAL, "passwd: string %d of length 0xffffffff is EINVAL",
		    i);
		msg_free(&m);
		m = passwd_msg(at);
		m.b[at[i] + 4] = '\0';
		is_intf(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf),
		    EINVAL, "passwd: a NUL inside string %d is EINVAL", i);
		msg_free(&m);
	}
	m = passwd_msg(at);
	n = m.n;
	set_u32(&m, at[4], (uint32_t)(strlen("/bin/bash") + 1));
	is_int(tsnss_unpack_passwd(m.b, n, &pw, buf, sizeof buf), EINVAL,
	    "passwd: a length one past the payload is EINVAL");
	msg_free(&m);
	m = passwd_msg(at);
	set_u32(&m, at[0], 0);
	memmove(m.b + at[0] + 4, m.b + at[0] + 4 + 5, m.n - at[0] - 4 - 5);
	m.n -= 5;
	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf), EINVAL,
	    "passwd: an empty name is EINVAL");
	memset(&pw, 0x5a, sizeof pw);
	(void)tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf);
	ok(pw.pw_uid == 0x5a5a5a5a,
	    "passwd: a malformed payload leaves the struct untouched");
	msg_free(&m);
	is_int(tsnss_unpack_passwd(NULL, 0, &pw, buf, sizeof buf), EINVAL,
	    "passwd: an empty payload is EINVAL");
	m = passwd_msg(NULL);
	set_u32(&m, 0, 0);
	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf), EINVAL,
	    "passwd: uid 0 is never handed out");
	msg_free(&m);
	m = passwd_msg(NULL);
	set_u32(&m, 4, 0);
	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf), EINVAL,
	    "passwd: gid 0 is never handed out");
	msg_free(&m);
}

/* A gecos of exactly TSNSS_MAX_STRING bytes passes, one more does not. */
static void
test_passwd_limits(void)
{
	static char big[TSNSS_MAX_STRING + 1], buf[2 * TSNSS_MAX_STRING];
	struct passwd pw;
	struct msg m;
	size_t len;
	int i;

	memset(big, 'g', sizeof big);
	for (len = TSNSS_MAX_STRING; len <= TSNSS_MAX_STRING + 1; len++) {
		m = (struct msg){NULL, 0, 0};
		u32(&m, 1);
		u32(&m, 1);
		for (i = 0; i < 5; i++)
			if (i == 2)
				bytes(&m, big, len);
			else
				str(&m, pw_fields[i]);
		is_intf(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf),
		    len == TSNSS_MAX_STRING ? 0 : EINVAL,
		    "passwd: a %zu-byte string is %s", len,
		    len == TSNSS_MAX_STRING ? "accepted" : "EINVAL");
		msg_free(&m);
	}
}

static void
test_group_good(void)
{
	alignas(char *) char buf[512];
	struct msg m = group_msg(NULL);
	struct group gr;

	is_int(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf), 0,
	    "group: a good payload unpacks");
	is_str(gr.gr_name, "staff", "group: gr_name");
	is_str(gr.gr_passwd, "*", "group: gr_passwd");
	is_int(gr.gr_gid, 90000, "group: gr_gid");
	is_str(gr.gr_mem[0], "alice", "group: first member");
	is_str(gr.gr_mem[1], "bob", "group: second member");
	ok(gr.gr_mem[2] == NULL, "group: the member list ends in NULL");
	msg_free(&m);

	m = (struct msg){NULL, 0, 0};
	u32(&m, 7);
	u32(&m, 0);
	str(&m, "empty");
	str(&m, "");
	is_int(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf), 0,
	    "group: no members unpacks");
	ok(gr.gr_mem != NULL && gr.gr_mem[0] == NULL,
	    "group: ... to an empty, NULL-terminated list");
	is_str(gr.gr_passwd, "*",
	    "group: ... and gr_passwd \"*\" whatever was sent: no passwords");
	msg_free(&m);
}

/*
 * From each misalignment of the buffer's start: ERANGE for every buflen
 * short of the need, success at it, and gr_mem aligned.
 */
static void
test_group_sizes(void)
{
	struct msg m = group_msg(NULL);
	size_t align = alignof(char *), off, len, need, eranges;
	int aligned, untouched;
	struct group gr;
	char *base;

	for (off = 0; off < align; off++) {
		need = group_need() + (off ? align - off : 0);
		eranges = 0;
		untouched = 1;
		for (len = 0; len < need; len++) {
			/* malloc aligns base, so base + off is misaligned by
			 * off and ends exactly at len: ASan sees overruns */
			base = malloc(off + len > 0 ? off + len : 1);
			memset(&gr, 0x5a, sizeof gr);
			eranges += tsnss_unpack_group(m.b, m.n, &gr, base + off,
				       len) == ERANGE;
			untouched &= gr.gr_gid == 0x5a5a5a5a;
			free(base);
		}
		base = malloc(off + need);
		is_intf(eranges, need,
		    "group at offset %zu: every buflen short of %zu is ERANGE",
		    off, need);
		ok(untouched,
		    "group at offset %zu: ERANGE leaves the struct "
		    "untouched",
		    off);
		is_intf(tsnss_unpack_group(m.b, m.n, &gr, base + off, need), 0,
		    "group at offset %zu: exactly the need is enough", off);
		aligned = (uintptr_t)gr.gr_mem % align == 0;
		ok(aligned, "group at offset %zu: gr_mem is aligned", off);
		is_strf(gr.gr_mem[1], "bob",
		    "group at offset %zu: the last member fits", off);
		free(base);
	}
	msg_free(&m);
}

static void
test_group_hostile(void)
{
	alignas(char *) char buf[512];
	struct msg m = group_msg(NULL);
	struct group gr;
	size_t at[4];
	int i;

	is_int(truncations_rejected(&m, 1), m.n,
	    "group: every truncation is EINVAL");
	grow(&m, 1);
	m.b[m.n++] = 0;
	is_int(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf), EINVAL,
	    "group: a trailing byte is EINVAL");
	msg_free(&m);
	m = group_msg(NULL);
	set_u32(&m, 0, 0);
	is_int(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf), EINVAL,
	    "group: gid 0 is never handed out");
	msg_free(&m);
	for (i = 0; i < 4; i++) {
		m = group_msg(at);
		set_u32(&m, at[i], 0xffffffffu);
		is_intf(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf),
		    EINVAL, "group: string %d of length 0xffffffff is EINVAL",
		    i);
		msg_free(&m);
		m = group_msg(at);
		m.b[at[i] + 4] = '\0';
		is_intf(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf),
		    EINVAL, "group: a NUL inside string %d is EINVAL", i);
		msg_free(&m);
	}
	m = group_msg(NULL);
	set_u32(&m, 4, 3);
	is_int(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf), EINVAL,
	    "group: more members counted than sent is EINVAL");
	set_u32(&m, 4, 1);
	is_int(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf), EINVAL,
	    "group: fewer members counted than sent is EINVAL");
	set_u32(&m, 4, 0xffffffffu);
	is_int(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf), EINVAL,
	    "group: a member count of 0xffffffff is EINVAL");
	msg_free(&m);
	m = (struct msg){NULL, 0, 0};
	u32(&m, 1);
	u32(&m, 1);
	str(&m, "g");
	str(&m, "*");
	str(&m, "");
	is_int(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf), EINVAL,
	    "group: an empty member name is EINVAL");
	msg_free(&m);
	memset(&gr, 0x5a, sizeof gr);
	(void)tsnss_unpack_group(NULL, 0, &gr, buf, sizeof buf);
	ok(gr.gr_gid == 0x5a5a5a5a,
	    "group: a malformed payload leaves the struct untouched");
}

/* TSNSS_MAX_MEMBERS members unpack; one more is refused unread. */
static void
test_group_limits(void)
{
	struct msg m;
	struct group gr;
	size_t need;
	uint32_t n, i;
	char *buf;

	for (n = TSNSS_MAX_MEMBERS; n <= TSNSS_MAX_MEMBERS + 1; n++) {
		m = (struct msg){NULL, 0, 0};
		u32(&m, 42);
		u32(&m, n);
		str(&m, "crowd");
		str(&m, "*");
		for (i = 0; i < n; i++)
			str(&m, "m");
		need = ((size_t)n + 1) * sizeof(char *) + 8 + 2 * (size_t)n;
		buf = malloc(need);
		is_intf(tsnss_unpack_group(m.b, m.n, &gr, buf, need),
		    n == TSNSS_MAX_MEMBERS ? 0 : EINVAL,
		    "group: %u members is %s", (unsigned)n,
		    n == TSNSS_MAX_MEMBERS ? "accepted" : "too many, EINVAL");
		if (n == TSNSS_MAX_MEMBERS)
			ok(gr.gr_mem[n - 1] != NULL && gr.gr_mem[n] == NULL,
			    "group: ... all of them, NULL-terminated");
		free(buf);
		msg_free(&m);
	}
}

static void
test_gids(void)
{
	struct msg m = {NULL, 0, 0};
	uint32_t n = 0, i;

	u32(&m, 2);
	u32(&m, 100);
	u32(&m, 200);
	is_int(unpack_gids(m.b, m.n, &n), 0, "gids: a good payload");
	is_int(n, 2, "gids: two of them");
	is_int(tsnss_wire_gid_at(m.b, 0), 100, "gids: the first");
	is_int(tsnss_wire_gid_at(m.b, 1), 200, "gids: the second");
	is_int(unpack_gids(m.b, m.n - 1, &n), EINVAL,
	    "gids: a short payload is EINVAL");
	u32(&m, 300);
	is_int(unpack_gids(m.b, m.n, &n), EINVAL,
	    "gids: more gids than counted is EINVAL");
	is_int(unpack_gids(NULL, 0, &n), EINVAL,
	    "gids: an empty payload is EINVAL");
	msg_free(&m);
	u32(&m, 0);
	is_int(unpack_gids(m.b, m.n, &n), 0, "gids: none is fine");
	is_int(n, 0, "gids: ... zero of them");
	msg_free(&m);
	u32(&m, TSNSS_MAX_MEMBERS + 1);
	for (i = 0; i <= TSNSS_MAX_MEMBERS; i++)
		u32(&m, i);
	is_int(unpack_gids(m.b, m.n, &n), EINVAL,
	    "gids: more than TSNSS_MAX_MEMBERS is EINVAL");
	msg_free(&m);
}

static void
test_status(void)
{
	int err = 0;

	is_int(tsnss_fill_status(0, &err), NSS_STATUS_SUCCESS,
	    "status: 0 is SUCCESS");
	is_int(tsnss_fill_status(ERANGE, &err), NSS_STATUS_TRYAGAIN,
	    "status: ERANGE is TRYAGAIN");
	is_int(err, ERANGE, "status: ... with errno ERANGE");
	is_int(tsnss_fill_status(EINVAL, &err), NSS_STATUS_UNAVAIL,
	    "status: EINVAL is UNAVAIL");
	is_int(err, ENOENT, "status: ... with errno ENOENT");
}

int
main(void)
{
	test_passwd_good();
	test_passwd_sizes();
	test_passwd_hostile();
	test_passwd_limits();
	test_group_good();
	test_group_sizes();
	test_group_hostile();
	test_group_limits();
	test_gids();
	test_status();
	return done_testing();
}
