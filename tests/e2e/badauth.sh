#!/usr/bin/env bash
# badauth.sh CLIENT SERVER: a client with the wrong secret is refused, and nothing is lost.
#
# Proves: MS-CHAPv2 failure is reported by both pppds (E=691, "Access denied", on the client), no ppp link
# comes up, the client's pppd and PPTP helper exit by themselves, the server's per-call
# processes end while pptpd keeps listening, and the next client (right secret) gets a
# tunnel, from the same pool, that carries traffic.
. "$(dirname "$0")/lib.sh"

client_impl=${1:?usage: badauth.sh CLIENT SERVER (each ours or ref)}
server_impl=${2:?usage: badauth.sh CLIENT SERVER (each ours or ref)}
e2e_begin "badauth-$client_impl-$server_impl"

host_add srv 1
host_add cli 11
server_config srv
server_start srv "$server_impl"

client_config cli bad "$client_impl" 1 "not-the-secret"
client_start cli bad
wait_until "$UP_LIMIT" "the client's pppd giving up after the auth failure" not_running "$CLIENT_PID_cli"
expect_log "$LOG/cli-pppd.log" 'MS-CHAP authentication failed: (Access denied|E=691)' "client refused"
expect_log "$LOG/srv-pppd.log" 'Peer [^ ]+ failed CHAP authentication|sent \[CHAP Failure .*E=691' "server refused"
no_ppp cli || fail "a ppp interface exists on cli after a failed authentication"
wait_until "$DOWN_LIMIT" "every process on cli ending after the failure" host_empty cli
server_idle srv

mv "$LOG/cli-pppd.log" "$LOG/cli-pppd-bad.log"
client_config cli good "$client_impl" 1
client_start cli good
wait_ppp_up cli
case "$PPP_LOCAL" in 203.0.113.1[0-2]) ;; *) fail "client got $PPP_LOCAL, outside the pool $TUNNEL_POOL" ;; esac
check_ping cli "$TUNNEL_LOCAL" 5

client_stop cli
server_idle srv
server_stop srv
pass
