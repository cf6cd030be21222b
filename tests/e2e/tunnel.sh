#!/usr/bin/env bash
# tunnel.sh CLIENT SERVER: one PPTP client to one server, each `ours` or `ref`.
#
# Proves, first, that a client with the wrong secret is refused and nothing is lost:
# MS-CHAPv2 failure reported by both pppds (E=691, "Access denied", on the client), no ppp
# link, the client's pppd and PPTP helper exit by themselves, the server's per-call
# processes end while pptpd keeps listening. Then that the next client (right secret)
# gets its tunnel: pppd brings the link up with MS-CHAPv2 and MPPE-128 over the PPTP helpers, the
# assigned addresses come from the server's pool, ping works both ways, 4 MiB move each way
# intact (SHA-256), and teardown is clean: SIGTERM to the client's pppd ends every process
# on the client, the server's per-call processes end and the server keeps listening, then
# SIGTERM stops the server with nothing left behind.
#
# E2E_CLIENT_SECRET overrides the second client's secret (to see a failure on purpose); the
# wrong-secret client is then left out.
. "$(dirname "$0")/lib.sh"

client_impl=${1:?usage: tunnel.sh CLIENT SERVER (each ours or ref)}
server_impl=${2:?usage: tunnel.sh CLIENT SERVER (each ours or ref)}
e2e_begin "$client_impl-$server_impl"

host_add srv 1
host_add cli 11
server_config srv
server_start srv "$server_impl"

# ---- the wrong secret ----
if [ -z "${E2E_CLIENT_SECRET:-}" ]; then
	client_config cli bad "$client_impl" 1 "not-the-secret"
	client_start cli bad
	wait_until "$UP_LIMIT" "the client's pppd giving up after the auth failure" not_running "$CLIENT_PID_cli"
	expect_log "$LOG/cli-pppd.log" 'MS-CHAP authentication failed: (Access denied|E=691)' "client refused"
	expect_log "$LOG/srv-pppd.log" 'Peer [^ ]+ failed CHAP authentication|sent \[CHAP Failure .*E=691' "server refused"
	no_ppp cli || fail "a ppp interface exists on cli after a failed authentication"
	client_leftovers cli
	server_idle srv
	mv "$LOG/cli-pppd.log" "$LOG/cli-pppd-bad.log"
fi

# ---- the right one ----
client_config cli vpn "$client_impl" 1 "${E2E_CLIENT_SECRET:-$E2E_SECRET}"
client_start cli vpn

wait_ppp_up cli
cli_local=$PPP_LOCAL
[ "$PPP_PEER" = "$TUNNEL_LOCAL" ] || fail "client's peer address is $PPP_PEER, expected $TUNNEL_LOCAL"
case "$cli_local" in 203.0.113.1[0-2]) ;; *) fail "client got $cli_local, outside the pool $TUNNEL_POOL" ;; esac
wait_ppp_up srv
[ "$PPP_PEER" = "$cli_local" ] || fail "server's peer is $PPP_PEER, client has $cli_local"

expect_log "$LOG/cli-pppd.log" 'MPPE 128-bit (stateless|stateful) compression enabled' "client MPPE"
expect_log "$LOG/srv-pppd.log" 'MPPE 128-bit (stateless|stateful) compression enabled' "server MPPE"
expect_log "$LOG/srv-pppd.log" 'rcvd \[LCP ConfAck .*<auth chap MS-v2>' "MS-CHAPv2 agreed"
expect_log "$LOG/cli-pppd.log" '^CHAP authentication succeeded' "client authenticated"

[ "$server_impl" = ours ] && check_session srv "$E2E_USER" "$cli_local"
check_ping cli "$TUNNEL_LOCAL" 10
check_ping srv "$cli_local" 5
check_transfer cli srv "$TUNNEL_LOCAL" $((4 * 1024 * 1024))

client_stop cli
server_idle srv
server_stop srv
pass
