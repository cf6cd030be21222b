#!/usr/bin/env bash
# ops.sh CLIENT SERVER: operating our pptpd (SERVER is `ours`; CLIENT names the three
# clients whose sessions are listed, normally `ref`; a fourth client is always ours, for
# the client side of the GRE diagnostics).
#
# Proves:
# 1. `pptpctl show sessions --json` lists exactly the connected clients, with the users
#    pppd authenticated, their tunnel addresses and their ppp interfaces; `/metrics` passes
#    `promtool check metrics` and its session gauge follows;
# 2. `pptpctl terminate user user2` ends exactly that tunnel within 5 s while the others
#    keep pinging, and the address is handed out again;
# 3. GRE dropped by a firewall on the server while both ends send: each side says so in
#    one log line within 15 s, and that it gets through again once the rule goes;
# 4. GRE rejected with ICMP protocol-unreachable: the client says what that means;
# 5. a client whose address this host itself translates (SNAT in the nat INPUT chain): the
#    listing shows the address seen and the one before NAT, from the connection tracker.
. "$(dirname "$0")/lib.sh"

client_impl=${1:?usage: ops.sh CLIENT SERVER}
server_impl=${2:?usage: ops.sh CLIENT SERVER}
e2e_begin "ops-$client_impl-$server_impl"
[ "$server_impl" = ours ] || fail "ops.sh operates our pptpd only"

METRICS=127.0.0.1:9723
host_add srv 1
for i in 1 2 3 4 5; do host_add "cli$i" "1$i"; done
SERVER_EXTRA="metrics $METRICS" server_config srv 203.0.113.10-13
server_users srv user1 user2 user3 user4
server_start srv ours
for i in 1 2 3; do
	localbind=
	[ "$client_impl" = ref ] && localbind="--localbind $UNDERLAY.1$i"
	CLIENT_USER=user$i client_config "cli$i" vpn "$client_impl" 1 "$E2E_SECRET" $localbind
	client_start "cli$i" vpn
done
declare -A addr
for i in 1 2 3; do
	wait_ppp_up "cli$i"
	addr[$i]=$PPP_LOCAL
done

# ---- 1. sessions and metrics ----
three_listed() { [ "$(pptpctl_on srv --json show sessions | grep -o '"user": "user[0-9]"' | wc -l)" = 3 ]; }
wait_until 30 "pptpctl listing the three sessions with their users" three_listed
json=$(pptpctl_on srv --json show sessions)
log "pptpctl show sessions --json: $json"
for i in 1 2 3; do
	row=$(grep -o "{[^}]*\"user\": \"user$i\"[^}]*}" <<<"$json")
	[ -n "$row" ] || fail "no session of user$i listed: $json"
	grep -q "\"tunnel\": \"${addr[$i]}\"" <<<"$row" || fail "user$i's tunnel address is not ${addr[$i]}: $row"
	ifname=$(sed -n 's/.*"ifname": "\([^"]*\)".*/\1/p' <<<"$row")
	ip -n srv link show "$ifname" >/dev/null 2>&1 || fail "user$i's interface '$ifname' is not on the server: $row"
done
log "table: $(pptpctl_on srv show sessions | tr '\n' '|')"
metrics() { ip netns exec srv curl -s --max-time 5 "http://$METRICS/metrics"; }
metrics >"$LOG/metrics-1.txt" || fail "no answer from http://$METRICS/metrics"
promtool check metrics <"$LOG/metrics-1.txt" >"$LOG/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(cat "$LOG/promtool.out")"
log "promtool check metrics: ok ($(wc -l <"$LOG/metrics-1.txt") lines)"
grep -qx 'pptpd_sessions{state="up"} 3' "$LOG/metrics-1.txt" ||
	fail "metrics do not count 3 sessions up: $(grep pptpd_sessions "$LOG/metrics-1.txt")"

# ---- 2. terminate one user ----
ping_start cli1 "$TUNNEL_LOCAL"
ping_start cli3 "$TUNNEL_LOCAL"
out=$(pptpctl_on srv terminate user user2) || fail "pptpctl terminate user user2: $out"
log "pptpctl terminate user user2: $out"
wait_until 5 "user2's tunnel ending within 5 s" no_ppp cli2
wait_until "$DOWN_LIMIT" "user2's client ending" host_empty cli2
log "user2's tunnel ended"
two_up() { metrics | grep -qx 'pptpd_sessions{state="up"} 2'; }
wait_until 15 "the metrics session gauge following (2 up)" two_up
pptpctl_on srv show sessions | grep -q user2 && fail "user2 still listed after terminate"
out=$(pptpctl_on srv terminate user nobody 2>&1) && fail "terminating nobody succeeded: $out"
log "terminate user nobody: $out"
ping_stop cli1
ping_stop cli3
client_start cli2 vpn
wait_ppp_up cli2
[ "$PPP_LOCAL" = "${addr[2]}" ] || log "note: user2 came back with $PPP_LOCAL (was ${addr[2]})"
check_ping cli2 "$TUNNEL_LOCAL" 3
log "user2's address handed out again"

# ---- 3. GRE dropped on the server, both ways, while both ends send ----
CLIENT_USER=user4 client_config cli4 vpn ours 1
client_start cli4 vpn
wait_ppp_up cli4
addr4=$PPP_LOCAL
check_ping cli4 "$TUNNEL_LOCAL" 3
ip netns exec srv iptables -A INPUT -p gre -s "$UNDERLAY.14" -j DROP
ip netns exec srv iptables -A OUTPUT -p gre -d "$UNDERLAY.14" -j DROP
blocked_at=$SECONDS
log "GRE between srv and cli4 dropped by iptables on srv"
ip netns exec cli4 ping -n -i 0.5 -W 1 "$TUNNEL_LOCAL" >/dev/null 2>&1 &
pid_c=$!
ip netns exec srv ping -n -i 0.5 -W 1 "$addr4" >/dev/null 2>&1 &
pid_s=$!
server_said() { grep -aq "pptpd\[[0-9]*\]: gre: no GRE from $UNDERLAY.14 " "$LOG/syslog.log"; }
client_said() { grep -aq "pptp\[[0-9]*\]: .*gre: no GRE from $UNDERLAY.1 " "$LOG/syslog.log"; }
wait_until 15 "pptpd saying that no GRE comes from the client" server_said
wait_until 15 "pptp saying that no GRE comes from the server" client_said
log "said within $((SECONDS - blocked_at))s:"
log "  $(grep -a "pptpd\[[0-9]*\]: gre: no GRE" "$LOG/syslog.log" | tail -n 1 | cut -c1-240)"
log "  $(grep -a "pptp\[[0-9]*\]: .*gre: no GRE" "$LOG/syslog.log" | tail -n 1 | cut -c1-240)"
ip netns exec srv iptables -F
again() { grep -aq "pptpd\[[0-9]*\]: gre: GRE from $UNDERLAY.14 gets through again" "$LOG/syslog.log"; }
wait_until 30 "pptpd saying that GRE gets through again" again
grep -a "gets through again" "$LOG/syslog.log" | tail -n 2 | cut -c1-200 | while read -r l; do log "  $l"; done

# ---- 4. GRE rejected with ICMP protocol-unreachable ----
ip netns exec srv iptables -A INPUT -p gre -s "$UNDERLAY.14" -j REJECT --reject-with icmp-proto-unreachable
icmp_said() { grep -aq "pptp.*answers our GRE with ICMP protocol-unreachable" "$LOG/syslog.log"; }
wait_until 15 "pptp saying what the ICMP protocol-unreachable means" icmp_said
log "$(grep -a "protocol-unreachable" "$LOG/syslog.log" | tail -n 1 | cut -c1-240)"
ip netns exec srv iptables -F
kill "$pid_c" "$pid_s" 2>/dev/null

for i in 1 2 3 4; do client_stop "cli$i"; done
server_idle srv

# ---- 5. a client behind this host's NAT ----
# A scripted PNS (RFC 2637 §2.1, §2.7): Start-Control-Connection-Request, then an
# Outgoing-Call-Request; it holds the call until killed. Only the control connection is
# translated: the listing is what is checked, not a tunnel.
PNS_PY='
import socket, struct, sys, time
s = socket.create_connection((sys.argv[1], 1723), timeout=10)
s.sendall(struct.pack(">HHIHHHHIIHH64s64s", 156, 1, 0x1A2B3C4D, 1, 0, 0x100, 0, 1, 1, 0, 0, b"nat", b"e2e"))
assert len(s.recv(156)) > 0
s.sendall(struct.pack(">HHIHHHHIIIIHHHH64s64s", 168, 1, 0x1A2B3C4D, 7, 0, 1, 1, 300, 100000000, 3, 3, 64, 0, 0, 0, b"", b""))
assert len(s.recv(32)) > 0
print("call requested", flush=True)
time.sleep(60)
'
ip netns exec srv iptables -t nat -A INPUT -p tcp -s "$UNDERLAY.15" --dport 1723 -j SNAT --to-source "$UNDERLAY.115"
ip netns exec cli5 python3 -c "$PNS_PY" "$UNDERLAY.1" >"$LOG/cli5-pns.out" 2>&1 &
pns=$!
wait_until 15 "the scripted PNS on cli5 requesting its call" grep -q '^call requested' "$LOG/cli5-pns.out"
nat_row() { pptpctl_on srv --json show sessions | grep -o "{[^}]*\"client\": \"$UNDERLAY.115\"[^}]*}"; }
wait_until 10 "the call from behind NAT listed" nat_row
row=$(nat_row)
log "listed behind NAT: $row"
grep -q "\"client_before_nat\": \"$UNDERLAY.15\"" <<<"$row" ||
	fail "the listing does not say that $UNDERLAY.115 is $UNDERLAY.15 before NAT: $row"
log "wide: $(pptpctl_on srv --wide show sessions | tr '\n' '|')"
grep -aq "ctrl: connection from $UNDERLAY.115 (from $UNDERLAY.15 before this host's NAT)" "$LOG/syslog.log" ||
	fail "pptpd did not log the address before NAT"
kill "$pns"
ip netns exec srv iptables -t nat -F
server_idle srv
server_stop srv
pass
