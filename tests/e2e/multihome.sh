#!/usr/bin/env bash
# multihome.sh CLIENT SERVER: a server with two addresses, and two tunnels from one host
# (CLIENT is `ours`: the reference client cannot run two tunnels from one host without
# --localbind).
#
# Proves:
# 1. a client that dials the server's second address gets the server's GRE from that
#    address: routing alone would pick the first one, which the client drops (its GRE
#    socket is connected to the address it dialled), so the tunnel comes up and carries
#    traffic only if the server sends from the address the client connected to (poptop
#    bound a GRE socket per client to it);
# 2. two of our clients on one host to one server share the host route to it: when the
#    first ends, the route stays for the second, which keeps working; when the last one
#    ends, the route goes;
# 3. with `vrf blue` (the server's eth0 enslaved to VRF blue) the listener and GRE live in
#    the VRF and the tunnel comes up and carries traffic, its ppp interface in the default
#    VRF (poptop's VRF builds); without the VRF device pptpd refuses to start, saying how.
. "$(dirname "$0")/lib.sh"

client_impl=${1:?usage: multihome.sh CLIENT SERVER}
server_impl=${2:?usage: multihome.sh CLIENT SERVER}
e2e_begin "multihome-$client_impl-$server_impl"

SECOND=$UNDERLAY.2
host_add srv 1
ip -n srv addr add "$SECOND/24" dev eth0 || fail "cannot add the server's second address"
host_add cli 11
server_config srv
server_start srv "$server_impl"

route_to_server() { ip -n cli route show exact "$SECOND/32" | grep -q .; }
no_route_to_server() { ! route_to_server; }

# ---- 1. the second address ----
client_config cli vpn1 "$client_impl" 2
client_config cli vpn2 "$client_impl" 2
ip netns exec cli pppd call vpn1 nodetach >"$LOG/cli-vpn1.out" 2>&1 &
pid1=$!
log "pppd call vpn1 started on cli (pid $pid1), dialling $SECOND"
wait_ppp_up cli
first_if=$PPP_IF
check_ping cli "$TUNNEL_LOCAL" 5
check_transfer cli srv "$TUNNEL_LOCAL" $((256 * 1024))
route_to_server || fail "no host route to $SECOND on cli while the tunnel is up"
log "host route on cli: $(ip -n cli route show exact "$SECOND/32")"

# ---- 2. a second tunnel to the same server, and the shared route ----
ip netns exec cli pppd call vpn2 nodetach >"$LOG/cli-vpn2.out" 2>&1 &
pid2=$!
log "pppd call vpn2 started on cli (pid $pid2)"
two_links() { [ "$(ppp_line cli | wc -l)" -ge 2 ]; }
wait_until "$UP_LIMIT" "a second ppp link on cli" two_links
second=$(ppp_line cli | awk -v first="$first_if" '$2 != first { print $4; exit }')
[ -n "$second" ] || fail "no address on the second link: $(ppp_line cli)"
log "second tunnel up: local $second"
kill -TERM "$pid1"
wait_until "$DOWN_LIMIT" "the first tunnel's pppd exiting" not_running "$pid1"
first_gone() { ! ppp_line cli | awk '{print $2}' | grep -qx "$first_if"; }
wait_until "$DOWN_LIMIT" "the first tunnel's link going away" first_gone
route_to_server || fail "the host route to $SECOND went with the first tunnel, under the second"
log "host route kept for the second tunnel: $(ip -n cli route show exact "$SECOND/32")"
out=$(in_host cli ping -n -c 5 -i 0.2 -W 10 -I "$second" "$TUNNEL_LOCAL" 2>&1)
grep -q "5 packets transmitted, 5 received" <<<"$out" ||
	fail "the second tunnel stopped working when the first ended: $out"
log "second tunnel still pings: $(grep 'packets transmitted' <<<"$out")"
kill -TERM "$pid2"
wait_until "$DOWN_LIMIT" "the second tunnel's pppd exiting" not_running "$pid2"
wait_until "$DOWN_LIMIT" "every process on cli ending" host_empty cli
wait_until "$DOWN_LIMIT" "the host route going with the last tunnel" no_route_to_server
log "host route removed with the last tunnel"

server_idle srv
server_stop srv

# ---- 3. vrf ----
SERVER_EXTRA="vrf blue" server_config srv
out=$(ip netns exec srv "$(impl_bin "$server_impl" server)" --fg -c /etc/pptpd.conf 2>&1)
grep -q "ip link add blue type vrf" <<<"$out" || fail "pptpd without the VRF device: $out"
log "without the VRF: $out"
ip -n srv link add blue type vrf table 10 || fail "cannot make VRF blue (kernel without vrf?)"
ip -n srv link set blue up
ip -n srv link set eth0 master blue || fail "cannot enslave eth0 to blue"
log "srv's eth0 in VRF blue: $(ip -n srv -br addr show vrf blue | tr -s ' ')"
server_start srv "$server_impl"
ip netns exec srv ss -Htln "sport = :1723" | grep -q '%blue' ||
	fail "the listener is not in VRF blue: $(ip netns exec srv ss -Htln 'sport = :1723')"
log "listener: $(ip netns exec srv ss -Htln 'sport = :1723' | tr -s ' ')"
ip netns exec cli pppd call vpn1 nodetach >"$LOG/cli-vpn1-vrf.out" 2>&1 &
pid1=$!
wait_ppp_up cli
check_ping cli "$TUNNEL_LOCAL" 5
srv_ppp=$(ip -n srv -o link show | grep -oE 'ppp[0-9]+' | head -n 1)
ip -n srv -o link show "$srv_ppp" | grep -q master && fail "$srv_ppp is in a VRF, not the default one"
log "tunnel through VRF blue pings; $srv_ppp in the default VRF"
kill -TERM "$pid1"
wait_until "$DOWN_LIMIT" "the tunnel's pppd exiting" not_running "$pid1"
server_idle srv
server_stop srv
pass
