#!/bin/sh
# e2e-attack-group-gid.sh - issue 17, hole 2: in an open domain without
# uid_key_file, a login crafted (tests/fnv-collide.py, seconds) so that
# its UID is a tailnet group's gid took that gid as its own uid and
# private group, and the group was refused: the newcomer read the
# group's 0770 directory.  Defences: a group's gid is judged before any
# user and claimed like a UID; with uid_key_file it is keyed.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
ADMINS=$(fnv_id group:admins)

evil=$(python3 "$top_srcdir/tests/fnv-collide.py" group:admins github)
like "$evil" '^[a-z][a-z0-9]{6}@github$' "a login whose UID is admins' gid is found ($evil)"
evil_name=${evil%@github}


tailnet_json --user "500:alice@example.com:Alice" --groups 500:group:admins
start_fake_tailscaled "$T/tailnet.json"
write_config "domain = example.com github"
start_tsnssd
is "$(getent group $ADMINS)" "admins:*:$ADMINS:alice" "admins has gid $ADMINS"

# the crafted login joins, with an older id
tailnet_json --user "500:alice@example.com:Alice" --groups 500:group:admins \
	--user "100:$evil:Mallory"
rebuilt
is "$(getent group $ADMINS)" "admins:*:$ADMINS:alice" \
	"gid $ADMINS is still the tailnet group"
is "$(getent passwd $ADMINS)" "" "nobody has it as a UID"
is "$(getent passwd "$evil_name")" "" "the crafted login is refused"
like "$(cat "$T/tsnssd.log")" "$evil.*refused.*uid $ADMINS belongs to group:admins" \
	"the log says the id is the group's on this host"

# the group leaves the tailnet: its gid stays its own (sticky)
tailnet_json --user "500:alice@example.com:Alice" --user "100:$evil:Mallory"
rebuilt
is "$(getent passwd "$evil_name")" "" "the group gone, the crafted login still gets nothing"
stop_tsnssd

# both new on a fresh host: the group wins the id
rm -rf "$T/cache"
tailnet_json --user "500:alice@example.com:Alice" --groups 500:group:admins \
	--user "100:$evil:Mallory"
start_tsnssd
is "$(getent group $ADMINS | cut -d: -f1)" admins "both new at once: the group keeps its gid"
is "$(getent passwd "$evil_name")" "" "and the crafted login is refused"
like "$("$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain "$evil")" \
	"refused: uid $ADMINS belongs to group:admins on this host" "--explain says whose gid it is"
like "$(cat "$T/tsnssd.log")" "$evil.*refused.*uid $ADMINS is the gid of tailnet group group:admins" \
	"the log says the group won the id"
stop_tsnssd

# keyed: the group's gid is no FNV value anyone can aim at
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/uid.key"
chmod 600 "$T/uid.key"
rm -rf "$T/cache"
write_config "domain = example.com github" "uid_key_file = $T/uid.key"
start_tsnssd
gid=$(getent group admins | cut -d: -f3)
like "$gid" '^[0-9]+$' "with a key, admins is a group"
if [ "$gid" = "$ADMINS" ]; then
	fail "with a key, its gid is not the FNV one"
else
	pass "with a key, its gid is not the FNV one"
fi
is "$(getent passwd "$evil_name" | cut -d: -f3 | grep -cx "$gid")" 0 \
	"and the crafted login does not get it"
stop_tsnssd
done_testing
