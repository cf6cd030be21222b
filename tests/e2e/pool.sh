#!/usr/bin/env bash
# pool.sh CLIENT SERVER: the server's address pool, filled and emptied. CLIENT is `ours`
# (reference clients on one machine share one call manager), SERVER `ours` or `ref`.
#
# Proves: with `remoteip 203.0.113.10-12` and `connections 3`, three clients at once get the
# three pool addresses, one each, and all carry traffic. A fourth client is turned away
# cleanly while the three keep working: no link comes up, its pppd ends by itself, and its
# pptp logs why (our server refuses the call with Outgoing-Call-Reply result 2, error 4
# "no-resource"; poptop stops accepting when its slots are full, so the client gives up for
# want of an answer). When one of the three leaves, the server frees that address and the
# fourth client, trying again, gets exactly that address.
. "$(dirname "$0")/lib.sh"

client_impl=${1:?usage: pool.sh CLIENT SERVER (CLIENT ours, SERVER ours or ref)}
server_impl=${2:?usage: pool.sh CLIENT SERVER (CLIENT ours, SERVER ours or ref)}
e2e_begin "pool-$server_impl"
[ "$client_impl" = ours ] || fail "pool.sh runs our clients only: reference clients on one machine share a call manager"

POOL=203.0.113.10-12
host_add srv 1
for i in 1 2 3 4; do host_add "cli$i" $((10 + i)); done
server_config srv "$POOL" 3
server_start srv "$server_impl"
# Each client tags its syslog lines with its host name, to tell the four apart.
for i in 1 2 3 4; do client_config "cli$i" vpn "$client_impl" 1 "$E2E_SECRET" --logstring "cli$i"; done

# ---- three clients, the three addresses ----
declare -A addr
for i in 1 2 3; do client_start "cli$i" vpn; done
for i in 1 2 3; do
	wait_ppp_up "cli$i"
	addr[cli$i]=$PPP_LOCAL
done
got=$(printf '%s\n' "${addr[@]}" | sort | tr '\n' ' ')
[ "$got" = "203.0.113.10 203.0.113.11 203.0.113.12 " ] ||
	fail "the three clients got ${got% }; expected each of $POOL once"
log "three clients, three addresses: ${got% }"
for i in 1 2 3; do check_ping "cli$i" "$TUNNEL_LOCAL" 5; done

# ---- a fourth client is turned away ----
case "$server_impl" in
ours) refused='server refused' ;;
ref) refused='no start-control-connection-reply|refused|no answer' ;;
*) fail "unknown server implementation '$server_impl'" ;;
esac
client_start cli4 vpn
wait_until "$UP_LIMIT" "the fourth client's pppd ending without a free address" not_running "$CLIENT_PID_cli4"
wait "$CLIENT_PID_cli4"
status=$?
log "the fourth client's pppd exited with status $status ($(pppd_status "$status"))"
expect_log "$LOG/syslog.log" "pptp\[[0-9]+\]: cli4 .*($refused)" "the fourth client says why it gave up"
no_ppp cli4 || fail "a ppp interface came up on cli4 although the pool was full"
wait_until "$DOWN_LIMIT" "every process on cli4 ending" host_empty cli4
kill -0 "$SERVER_PID_srv" 2>/dev/null || fail "pptpd on srv died after turning a client away"
links=$(ppp_line srv | wc -l)
[ "$links" = 3 ] || fail "the server has $links ppp links after the refusal, expected 3"
for i in 1 2 3; do check_ping "cli$i" "$TUNNEL_LOCAL" 5; done

# ---- one leaves; the fourth, trying again, gets its address ----
freed=${addr[cli2]}
client_stop cli2
wait_until "$DOWN_LIMIT" "the server freeing $freed (its ppp link to it going away)" no_ppp_peer srv "$freed"
wait_until "$DOWN_LIMIT" "the server's processes for cli2's call ending" \
	at_most_procs srv "$(server_procs "$server_impl" 2)"
mv "$LOG/cli4-pppd.log" "$LOG/cli4-pppd-refused.log"
client_start cli4 vpn
wait_ppp_up cli4
[ "$PPP_LOCAL" = "$freed" ] || fail "the fourth client got $PPP_LOCAL, expected $freed, the address cli2 gave back"
log "the fourth client reuses $freed"
check_ping cli4 "$TUNNEL_LOCAL" 5
check_ping cli1 "$TUNNEL_LOCAL" 3
check_ping cli3 "$TUNNEL_LOCAL" 3

for h in cli1 cli3 cli4; do client_stop "$h"; done
server_idle srv
server_stop srv
pass
