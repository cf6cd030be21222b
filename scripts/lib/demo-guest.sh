#!/usr/bin/env bash
# The demo's guest side (run by scripts/demo as root on a kernel with PPP): one server, one
# client, a real tunnel with MS-CHAPv2 and MPPE-128, then a report on lines starting "demo| ".
# Uses our binaries where they are built and the Debian reference programs otherwise.
. "$(dirname "$0")/../../tests/e2e/lib.sh"

report() { printf 'demo| %s\n' "$*"; }
pick() { # pick client|server: ours when built, else ref
	local bin
	bin=$(impl_bin ours "$1")
	if [ -x "$bin" ]; then echo ours; else echo ref; fi
}
describe() { # describe IMPL ROLE
	case "$1/$2" in
	ours/client) echo "pptp-rs pptp" ;;
	ours/server) echo "pptp-rs pptpd" ;;
	ref/client) echo "Debian's pptp-linux $(dpkg-query -W -f='${Version}' pptp-linux 2>/dev/null) (ours is not built yet)" ;;
	ref/server) echo "Debian's pptpd $(dpkg-query -W -f='${Version}' pptpd 2>/dev/null) (ours is not built yet)" ;;
	esac
}

client_impl=$(pick client)
server_impl=$(pick server)
e2e_begin "demo"
report "server: $(describe "$server_impl" server) on $UNDERLAY.1, pool $TUNNEL_POOL"
report "client: $(describe "$client_impl" client) on $UNDERLAY.11, run by pppd from a peers file"

host_add srv 1
host_add cli 11
server_config srv
server_start srv "$server_impl"
client_config cli demo "$client_impl" 1
client_start cli demo
up_start=$SECONDS
wait_ppp_up cli
report "tunnel up in $((SECONDS - up_start))s: client $PPP_IF $PPP_LOCAL <-> server $PPP_PEER"
cli_addr=$PPP_LOCAL
expect_log "$LOG/cli-pppd.log" 'MPPE 128-bit (stateless|stateful) compression enabled' "client MPPE" >/dev/null
report "auth: MS-CHAPv2; encryption: $(grep -aoE 'MPPE 128-bit (stateless|stateful)' "$LOG/cli-pppd.log" | head -n 1)"
check_ping cli "$TUNNEL_LOCAL" 10 >/dev/null
report "ping $TUNNEL_LOCAL from $cli_addr: $PING_SUMMARY"
check_transfer cli srv "$TUNNEL_LOCAL" $((4 * 1024 * 1024)) >/dev/null
while IFS= read -r l; do report "throughput: $l"; done <<<"$XFER_SUMMARY"
client_stop cli >/dev/null
server_idle srv >/dev/null
server_stop srv >/dev/null
report "teardown: clean (client and server processes gone, no ppp interfaces left)"
pass
