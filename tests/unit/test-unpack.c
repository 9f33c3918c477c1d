/* test-unpack.c - the stub's reply parser against good and hostile bytes. */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nss-tailscale.h"
#include "tap.h"

struct msg {
	unsigned char b[4096];
	size_t n;
};

static void
u32(struct msg *m, uint32_t v)
{
	memcpy(m->b + m->n, &v, 4);
	m->n += 4;
}

static void
str(struct msg *m, const char *s)
{
	u32(m, (uint32_t)strlen(s));
	memcpy(m->b + m->n, s, strlen(s));
	m->n += strlen(s);
}

static struct msg
passwd_msg(void)
{
	struct msg m = {{0}, 0};

	u32(&m, 1234);
	u32(&m, 5678);
	str(&m, "alice");
	str(&m, "*");
	str(&m, "Alice Liddell");
	str(&m, "/home/alice");
	str(&m, "/bin/bash");
	return m;
}

static struct msg
group_msg(void)
{
	struct msg m = {{0}, 0};

	u32(&m, 90000);
	u32(&m, 2);
	str(&m, "staff");
	str(&m, "*");
	str(&m, "alice");
	str(&m, "bob");
	return m;
}

static void
test_passwd(void)
{
	struct msg m = passwd_msg();
	struct passwd pw;
	char buf[256];
	size_t need = 6 + 2 + 14 + 12 + 10, len, eranges = 0, bad = 0;

	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf), 0,
	    "good passwd payload");
	is_str(pw.pw_name, "alice", "pw_name");
	is_str(pw.pw_gecos, "Alice Liddell", "pw_gecos");
	is_str(pw.pw_shell, "/bin/bash", "pw_shell");
	is_int(pw.pw_uid, 1234, "pw_uid");
	is_int(pw.pw_gid, 5678, "pw_gid");
	for (len = 0; len < need; len++)
		eranges +=
		    tsnss_unpack_passwd(m.b, m.n, &pw, buf, len) == ERANGE;
	is_int(eranges, need, "every buffer short of the need gives ERANGE");
	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, buf, need), 0,
	    "exactly the need is enough");
	for (len = 0; len < m.n; len++) {
		unsigned char *copy = malloc(len ? len : 1);

		memcpy(copy, m.b, len);
		bad += tsnss_unpack_passwd(copy, len, &pw, buf, sizeof buf) ==
		       EINVAL;
		free(copy);
	}
	is_int(bad, m.n, "every truncation gives EINVAL");
	m.b[m.n++] = 'x';
	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf), EINVAL,
	    "trailing bytes give EINVAL");
	m = passwd_msg();
	memset(m.b + 8, 0xff, 4);
	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf), EINVAL,
	    "a string length of 0xffffffff gives EINVAL");
	m = passwd_msg();
	m.b[13] = '\0';
	is_int(tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf), EINVAL,
	    "a NUL inside a string gives EINVAL");
	memset(&pw, 0x5a, sizeof pw);
	tsnss_unpack_passwd(m.b, m.n, &pw, buf, sizeof buf);
	ok(pw.pw_uid == 0x5a5a5a5a,
	    "a malformed reply leaves the struct as it was");
}

static void
test_group(void)
{
	struct msg m = group_msg();
	struct group gr;
	char buf[512];
	size_t len, eranges = 0, bad = 0, ok_from = 0;

	is_int(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf), 0,
	    "good group payload");
	is_str(gr.gr_name, "staff", "gr_name");
	is_int(gr.gr_gid, 90000, "gr_gid");
	is_str(gr.gr_mem[0], "alice", "first member");
	is_str(gr.gr_mem[1], "bob", "second member");
	ok(gr.gr_mem[2] == NULL, "member list ends in NULL");
	/* from an odd address too: the pointer array must be aligned */
	for (len = 0; len < 200; len++) {
		int rc = tsnss_unpack_group(m.b, m.n, &gr, buf + 1, len);

		if (rc == 0 && ok_from == 0)
			ok_from = len;
		eranges += rc == ERANGE;
	}
	ok(ok_from > 0 && eranges == ok_from,
	    "ERANGE below the need (%zu), success from it", ok_from);
	for (len = 0; len < m.n; len++)
		bad += tsnss_unpack_group(m.b, len, &gr, buf, sizeof buf) ==
		       EINVAL;
	is_int(bad, m.n, "every truncation gives EINVAL");
	m = group_msg();
	memcpy(m.b + 4, &(uint32_t){TSNSS_MAX_MEMBERS + 1}, 4);
	is_int(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf), EINVAL,
	    "too many members gives EINVAL");
	m = group_msg();
	memcpy(m.b + 4, &(uint32_t){3}, 4);
	is_int(tsnss_unpack_group(m.b, m.n, &gr, buf, sizeof buf), EINVAL,
	    "a member count beyond the payload gives EINVAL");
}

static void
test_gids(void)
{
	struct msg m = {{0}, 0};
	uint32_t n = 0;

	u32(&m, 2);
	u32(&m, 100);
	u32(&m, 200);
	is_int(tsnss_unpack_gids(m.b, m.n, &n), 0, "good gids payload");
	is_int(n, 2, "two gids");
	is_int(tsnss_gid_at(m.b, 1), 200, "second gid");
	is_int(tsnss_unpack_gids(m.b, m.n - 1, &n), EINVAL, "short gids");
	u32(&m, 300);
	is_int(tsnss_unpack_gids(m.b, m.n, &n), EINVAL, "count mismatch");
	is_int(tsnss_unpack_gids(m.b, 0, &n), EINVAL, "empty payload");
}

int
main(void)
{
	test_passwd();
	test_group();
	test_gids();
	return done_testing();
}
