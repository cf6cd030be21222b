#!/usr/bin/env bash
# nat.sh CLIENT SERVER: two clients behind one masquerading router. CLIENT is `ours` (reference
# clients on one machine share one call manager), SERVER `ours` or `ref`.
#
# Proves: with the clients on a LAN (192.0.2.0/24) that the server has no route to, and a
# router that masquerades them behind its one underlay address with the kernel's PPTP
# conntrack/NAT helper, both tunnels come up at once with distinct addresses and each carries
# traffic both ways, at the same time (ping from one while the other transfers 256 KiB each
# way, checked by SHA-256; the server pings each client). The server sees both control
# connections from the router's address, so it tells the two tunnels apart by call ID only.
. "$(dirname "$0")/lib.sh"

client_impl=${1:?usage: nat.sh CLIENT SERVER (CLIENT ours, SERVER ours or ref)}
server_impl=${2:?usage: nat.sh CLIENT SERVER (CLIENT ours, SERVER ours or ref)}
e2e_begin "nat-$server_impl"
[ "$client_impl" = ours ] || fail "nat.sh runs our clients only: reference clients on one machine share a call manager"

for m in nf_conntrack_pptp nf_nat_pptp; do
	modprobe "$m" 2>/dev/null || [ -d "/sys/module/$m" ] || fail "kernel module $m is missing"
done

LAN=192.0.2
WAN_ADDR=$UNDERLAY.254
host_add srv 1
host_add rtr 254 # eth0 on the underlay
bridge_add e2ebr1
host_leg rtr e2ebr1 eth1 "$LAN.254/24"
host_add_on e2ebr1 cli1 "$LAN.11/24" "$LAN.254"
host_add_on e2ebr1 cli2 "$LAN.12/24" "$LAN.254"
in_host rtr sysctl -qw net.ipv4.ip_forward=1 || fail "cannot enable forwarding on rtr"
in_host rtr iptables -t raw -A PREROUTING -p tcp --dport 1723 -j CT --helper pptp ||
	fail "cannot assign the pptp conntrack helper on rtr"
in_host rtr iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE || fail "cannot masquerade on rtr"
log "rtr: $LAN.0/24 masqueraded behind $WAN_ADDR, pptp helper on TCP 1723"

server_config srv
server_start srv "$server_impl"
client_config cli1 vpn "$client_impl" 1 "$E2E_SECRET" --logstring cli1
client_config cli2 vpn "$client_impl" 1 "$E2E_SECRET" --logstring cli2
client_start cli1 vpn
client_start cli2 vpn
wait_ppp_up cli1
addr1=$PPP_LOCAL
wait_ppp_up cli2
addr2=$PPP_LOCAL
[ "$addr1" != "$addr2" ] || fail "both clients got $addr1"
wait_until "$UP_LIMIT" "the server's ppp link to $addr1" has_ppp_peer srv "$addr1"
wait_until "$UP_LIMIT" "the server's ppp link to $addr2" has_ppp_peer srv "$addr2"

# Both control connections reached the server from the router's address.
case "$server_impl" in
ref) from="CTRL: Client ${WAN_ADDR//./\\.} control connection started" ;;
ours) from="ctrl: connection from ${WAN_ADDR//./\\.}" ;;
*) fail "unknown server implementation '$server_impl'" ;;
esac
seen=$(grep -acE "$from" "$LOG/syslog.log")
[ "$seen" -ge 2 ] || fail "the server logged $seen control connection(s) from $WAN_ADDR, expected 2 (no line matching '$from' for each)"
log "the server saw both control connections from $WAN_ADDR ($seen lines matching '$from')"
# The router tracks each client's GRE by its call IDs (the pptp helper's expectations).
in_host rtr cat /proc/net/nf_conntrack >"$LOG/rtr-conntrack.txt" 2>&1
for a in "$LAN.11" "$LAN.12"; do
	grep -q " gre .* src=${a//./\\.} dst=${UNDERLAY//./\\.}\.1 srckey=0x" "$LOG/rtr-conntrack.txt" ||
		fail "rtr has no GRE conntrack entry keyed by call ID for $a (see rtr-conntrack.txt)"
	log "rtr: $(grep " gre .* src=$a " "$LOG/rtr-conntrack.txt" | grep -oE 'src=.*dstkey=0x[0-9a-f]+ src=.*dstkey=0x[0-9a-f]+')"
done

# Traffic on both tunnels, at the same time.
check_ping cli2 "$TUNNEL_LOCAL" 3
check_ping srv "$addr1" 3
check_ping srv "$addr2" 3
ping_start cli1 "$TUNNEL_LOCAL"
check_transfer cli2 srv "$TUNNEL_LOCAL" $((256 * 1024))
ping_stop cli1
check_transfer cli1 srv "$TUNNEL_LOCAL" $((256 * 1024))

client_stop cli1
client_stop cli2
server_idle srv
server_stop srv
pass
