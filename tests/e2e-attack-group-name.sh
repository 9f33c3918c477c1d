#!/bin/sh
# e2e-attack-group-name.sh - issue 17, hole 1: a newcomer takes a tailnet
# group by its name.  group:admins is group admins (alice in it, sudo's
# %admins); the login admins@github joins and its user admins got a
# private group admins, so %admins meant him and the tailnet group was
# refused.  Defence: tailnet groups are judged before users and claim
# their name and gid like a user; a group wins a name nobody owns yet.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"
ctl="$top_builddir/src/tsnssctl"
ADMINS=$(fnv_id group:admins)


# the group is there first
tailnet_json --user "500:alice@example.com:Alice" --groups 500:group:admins
start_fake_tailscaled "$T/tailnet.json"
write_config "domain = example.com github"
start_tsnssd
is "$(getent group admins)" "admins:*:$ADMINS:alice" "group admins is alice's tailnet group"

# the newcomer, with an older id
tailnet_json --user "500:alice@example.com:Alice" --groups 500:group:admins \
	--user "100:admins@github:Mallory"
rebuilt
is "$(getent group admins)" "admins:*:$ADMINS:alice" \
	"after admins@github joins, admins is still the tailnet group"
is "$(getent passwd admins)" "" "admins@github is no user admins"
like "$(cat "$T/tsnssd.log")" "admins@github.*refused.*name 'admins' belongs to group:admins on this host" \
	"the log says the name is the tailnet group's"
like "$("$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain admins@github)" \
	"result: +refused: name 'admins' belongs to group:admins" \
	"--explain says who owns the name"
like "$("$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain group:admins)" \
	"claims: +name admins, uid $ADMINS" "--explain group:admins shows the group's claims"
like "$("$top_builddir/src/tsnssd" -c "$T/tailscale-nss.conf" --explain admins)" \
	"name: +admins is group:admins's" "--explain admins names the group as its owner"

# sticky: the group leaves the tailnet, its name and gid stay its own
tailnet_json --user "500:alice@example.com:Alice" --user "100:admins@github:Mallory"
rebuilt
is "$(getent passwd admins)" "" "the group gone from the tailnet, admins@github still gets no name"
is "$(getent group $ADMINS)" "" "nobody holds its gid meanwhile"
stop_tsnssd

# clash_names gives the newcomer another name, never the group's
write_config "domain = example.com github" "clash_names = github:%n_gh"
tailnet_json --user "500:alice@example.com:Alice" --groups 500:group:admins \
	--user "100:admins@github:Mallory"
start_tsnssd
# it serves the persisted answer (the group gone) until the fresh one
wait_for getent group admins
is "$(getent passwd admins_gh | cut -d: -f1)" admins_gh \
	"with clash_names, admins@github is admins_gh"
is "$(getent group admins)" "admins:*:$ADMINS:alice" "and admins stays the group"

# forget releases the group's claims
is "$("$ctl" forget group:admins)" "forget: released group:admins" \
	"tsnssctl forget group:admins releases them"
stop_tsnssd

# neither there yet: both at once, on a fresh host; the group wins
rm -rf "$T/cache"
write_config "domain = example.com github"
start_tsnssd
is "$(getent group admins)" "admins:*:$ADMINS:alice" \
	"both new at once: the group wins the name"
is "$(getent passwd admins)" "" "and the login gets none"
like "$(cat "$T/tsnssd.log")" "admins@github.*refused.*name 'admins' is tailnet group group:admins's" \
	"the log says the group won the name"

# the user there first keeps it: a later group is refused
stop_tsnssd
rm -rf "$T/cache"
tailnet_json --user "100:admins@github:Mallory"
start_tsnssd
is "$(getent passwd admins | cut -d: -f1)" admins "a user there first"
tailnet_json --user "500:alice@example.com:Alice" --groups 500:group:admins \
	--user "100:admins@github:Mallory"
rebuilt
is "$(getent group admins | cut -d: -f3)" "$(getent passwd admins | cut -d: -f3)" \
	"keeps its name: admins is its private group, the later tailnet group is refused"
like "$(cat "$T/tsnssd.log")" "tailnet group admins: refused: .*belongs to admins@github" \
	"and the refusal is logged"
stop_tsnssd
done_testing
