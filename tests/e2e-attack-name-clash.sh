#!/bin/sh
# e2e-attack-name-clash.sh - attack 2 of issue 10: the github user alice
# takes the name alice away from alice@example.com, because a clash used
# to refuse both.  Domains are now listed in priority order, and a later
# domain's login gets no name, or its clash_names template.
. "$top_srcdir/tests/lib.sh"
enter_namespace "$@"

python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "100:alice@github:Alice from GitHub" \
	--user "500:alice@example.com:Alice Corp" \
	--user "501:bob@example.com:Bob" \
	--user "502:bob@example.org:Bob Org"
start_fake_tailscaled "$T/tailnet.json"
write_config "domain = example.com example.org github"
start_tsnssd
is "$(getent passwd alice | cut -d: -f5)" "Alice Corp" \
	"alice is alice@example.com's, though alice@github's id is older"
is "$(getent group alice | cut -d: -f3)" "$(getent passwd alice | cut -d: -f3)" \
	"and so is the private group alice"
is "$(getent passwd bob | cut -d: -f5)" "Bob" \
	"the domain listed first keeps the name"
like "$(cat "$T/tsnssd.log")" "alice@github.*refused.*alice.*alice@example.com.*listed earlier" \
	"the log says the earlier domain keeps the name"
is "$(getent passwd | grep -c 'Alice from GitHub')" 0 \
	"without a template the github login gets no name"
stop_tsnssd

# the github user is not locked out for good: a per-domain template
write_config "domain = example.com example.org github" "clash_names = github:%n_gh"
start_tsnssd
is "$(getent passwd alice | cut -d: -f5)" "Alice Corp" "alice still alice@example.com's"
is "$(getent passwd alice_gh | cut -d: -f5)" "Alice from GitHub" \
	"clash_names gives alice@github the name alice_gh"
is "$(getent passwd bob | cut -d: -f5)" "Bob" "bob unchanged"

# names are sticky too: alice@example.com leaves, alice@github stays alice_gh
python3 "$top_srcdir/tests/tailnet.py" -o "$T/tailnet.json" \
	--user "100:alice@github:Alice from GitHub"
kill -HUP "$tsnssd_pid"
wait_for sh -c '! getent passwd alice'
is "$(getent passwd alice)" "" "alice@example.com's name is not handed to alice@github"
is "$(getent passwd alice_gh | cut -d: -f5)" "Alice from GitHub" \
	"alice@github keeps alice_gh"
out=$("$top_builddir/src/tsnssd" -t -c "$T/tailscale-nss.conf" 2>&1)
like "$out" "warning: .*several domains hand out bare names" \
	"-t warns when several domains can hand out bare local parts"
stop_tsnssd
done_testing
