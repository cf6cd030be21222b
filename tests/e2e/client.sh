#!/usr/bin/env bash
# client.sh CLIENT SERVER: what the client must do beyond one tunnel (CLIENT is `ours`; the
# reference client cannot run two tunnels from one machine without --localbind).
#
# Proves:
# 1. two clients in two namespaces reach one server at once, with distinct addresses, and
#    both carry traffic (no state shared between client processes);
# 2. pppd killed (SIGKILL) mid-tunnel: the client clears the call (the server logs the
#    Call-Clear-Request), every client process ends, and the other tunnel keeps working;
# 3. launch mode (`pptp HOST file OPTIONS`): pptp starts pppd itself, the tunnel comes up
#    with MPPE; when the server hangs up, pptp ends and exits with pppd's exit status.
. "$(dirname "$0")/lib.sh"

client_impl=${1:?usage: client.sh CLIENT SERVER}
server_impl=${2:?usage: client.sh CLIENT SERVER}
e2e_begin "client-$client_impl-$server_impl"

host_add srv 1
host_add cli1 11
host_add cli2 12
server_config srv
server_start srv "$server_impl"

# ---- 1. two clients at once ----
client_config cli1 vpn "$client_impl" 1
client_config cli2 vpn "$client_impl" 1
client_start cli1 vpn
client_start cli2 vpn
wait_ppp_up cli1
addr1=$PPP_LOCAL
wait_ppp_up cli2
addr2=$PPP_LOCAL
[ "$addr1" != "$addr2" ] || fail "both clients got $addr1"
check_ping cli1 "$TUNNEL_LOCAL" 5
check_ping cli2 "$TUNNEL_LOCAL" 5
check_transfer cli2 srv "$TUNNEL_LOCAL" $((1024 * 1024))

# ---- 2. pppd killed mid-tunnel ----
kill -KILL "$CLIENT_PID_cli1"
log "killed the client pppd on cli1 (SIGKILL)"
wait_until "$DOWN_LIMIT" "every process on cli1 ending after pppd was killed" host_empty cli1
case "$server_impl" in
ref) clear_seen='CTRL: Received CALL CLR request' ;;
ours) clear_seen='call: cleared by the client' ;;
esac
wait_until "$DOWN_LIMIT" "the server logging the client's Call-Clear-Request" \
	grep -aq "$clear_seen" "$LOG/syslog.log"
expect_log "$LOG/syslog.log" "$clear_seen" "server saw the call cleared"
check_ping cli2 "$TUNNEL_LOCAL" 5
wait_until "$DOWN_LIMIT" "the server ending the killed client's call" at_most_procs srv 3

# ---- 3. launch mode, and the server hanging up ----
client_ppp_options "$LOG/cli1-launch-pppd.log" >/etc/netns/cli1/ppp/launch-options
bin=$(impl_bin "$client_impl" client)
ip netns exec cli1 "$bin" "$UNDERLAY.1" --debug file /etc/ppp/launch-options \
	>"$LOG/cli1-launch.out" 2>&1 &
launch_pid=$!
CLIENT_PID_cli1=$launch_pid
log "launch mode: $bin $UNDERLAY.1 file /etc/ppp/launch-options (pid $launch_pid)"
wait_ppp_up cli1
launch_addr=$PPP_LOCAL
expect_log "$LOG/cli1-launch-pppd.log" 'MPPE 128-bit (stateless|stateful) compression enabled' "launch-mode MPPE"
check_ping cli1 "$TUNNEL_LOCAL" 5

# The server hangs up: end the server-side pppd that serves this client.
for p in $(ip netns pids srv); do
	if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "pppd.*:$launch_addr "; then
		kill -TERM "$p"
		log "server hangs up: SIGTERM to its pppd (pid $p) for $launch_addr"
	fi
done
wait_until "$DOWN_LIMIT" "launch-mode pptp exiting after the server hung up" not_running "$launch_pid"
wait "$launch_pid"
status=$?
pppd_status=$(sed -n 's/.*pppd: exited, status \([0-9]*\).*/\1/p' "$LOG/cli1-launch.out" | tail -n 1)
[ -n "$pppd_status" ] || fail "launch-mode pptp did not report pppd's exit status"
[ "$status" = "$pppd_status" ] || fail "launch-mode pptp exited $status, pppd exited $pppd_status"
log "launch-mode pptp exited $status, pppd's status ($(pppd_status "$status"))"
wait_until "$DOWN_LIMIT" "every process on cli1 ending" host_empty cli1

client_stop cli2
server_idle srv
server_stop srv
pass
