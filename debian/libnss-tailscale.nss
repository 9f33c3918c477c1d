# tailnet users and groups come after the local ones, so a local account
# always wins a name (tsnssd also never hands out a local name or id).
passwd after=files tailscale
group  after=files tailscale
