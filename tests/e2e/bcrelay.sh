#!/usr/bin/env bash
# bcrelay.sh CLIENT SERVER: `bcrelay LANIF` in pptpd.conf relays broadcasts both ways.
#
# Proves: pptpd starts bcrelay for the directive; a UDP broadcast sent on the server's LAN
# (to the LAN's broadcast address) reaches a tunnel client, once; one the client sends
# into its tunnel (to 255.255.255.255) reaches the LAN host, once, from the client's
# tunnel address; no copy is relayed again (each arrives exactly once); and stopping
# pptpd stops bcrelay.
. "$(dirname "$0")/lib.sh"

client_impl=${1:?usage: bcrelay.sh CLIENT SERVER}
server_impl=${2:?usage: bcrelay.sh CLIENT SERVER}
e2e_begin "bcrelay-$client_impl-$server_impl"

LAN=192.0.2
TUNNEL_POOL_NET=203.0.113.0/24
PORT=9999
bridge_add brlan
host_add srv 1
host_leg srv brlan lan0 "$LAN.1/24"
host_add_on brlan lanhost "$LAN.20/24"
host_add cli 11
# As on a real LAN, the tunnel clients are reached through the server (which also lets
# the LAN host's reverse-path filter take the client's broadcast).
ip -n lanhost route add "$TUNNEL_POOL_NET" via "$LAN.1" || fail "cannot route the tunnel addresses via srv"
SERVER_EXTRA="bcrelay lan0" server_config srv
server_start srv "$server_impl"
relay_up() { ip netns exec srv pgrep -x bcrelay >/dev/null; }
wait_until 10 "pptpd starting bcrelay" relay_up
log "bcrelay running on srv: $(ip netns exec srv pgrep -a bcrelay)"

client_config cli vpn "$client_impl" 1
client_start cli vpn
wait_ppp_up cli
cli_if=$PPP_IF cli_local=$PPP_LOCAL
check_ping cli "$TUNNEL_LOCAL" 3
# A client that uses the office LAN routes it into the tunnel (its reverse-path filter
# then takes the LAN's broadcasts from there).
ip -n cli route add "$LAN.0/24" dev "$cli_if" || fail "cannot route the LAN into the tunnel on cli"
# bcrelay looks at the interfaces every 2 s; give it the server's new ppp link.
relaying_ppp() { grep -qE 'relay: between .*ppp[0-9]' "$LOG/syslog.log"; }
wait_until 10 "bcrelay taking the tunnel in" relaying_ppp
log "bcrelay: $(grep -E 'relay: between' "$LOG/syslog.log" | tail -n 1 | sed 's/.*relay: //')"

# listen HOST SECONDS OUTFILE: print "SRC TEXT" for each datagram to PORT.
listen() {
	ip netns exec "$1" timeout "$2" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[1])))
s.settimeout(float(sys.argv[2]) - 1)
try:
    while True:
        data, addr = s.recvfrom(2048)
        print(addr[0], data.decode(), flush=True)
except socket.timeout:
    pass
' "$PORT" "$2" >"$3" 2>&1 &
	LISTENER=$!
}
# send HOST DEVICE DEST TEXT: one broadcast datagram out of DEVICE.
send() {
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
s.sendto(sys.argv[3].encode(), (sys.argv[2], int(sys.argv[4])))
' "$2" "$3" "$4" "$PORT"
}

# ---- LAN -> tunnel ----
listen cli 5 "$LOG/cli-heard.txt"
sleep 1
send lanhost eth0 "$LAN.255" from-lan
wait "$LISTENER"
heard=$(grep -c ' from-lan$' "$LOG/cli-heard.txt")
[ "$heard" = 1 ] || fail "the client heard the LAN's broadcast $heard times: $(cat "$LOG/cli-heard.txt")"
log "client on $cli_if heard the LAN's broadcast once: $(cat "$LOG/cli-heard.txt")"

# ---- tunnel -> LAN ----
listen lanhost 5 "$LOG/lan-heard.txt"
sleep 1
send cli "$cli_if" 255.255.255.255 from-client
wait "$LISTENER"
heard=$(grep -c ' from-client$' "$LOG/lan-heard.txt")
[ "$heard" = 1 ] || fail "the LAN heard the client's broadcast $heard times: $(cat "$LOG/lan-heard.txt")"
grep -q "^$cli_local from-client$" "$LOG/lan-heard.txt" ||
	fail "the client's broadcast reached the LAN from $(cat "$LOG/lan-heard.txt"), not from $cli_local"
log "LAN host heard the client's broadcast once: $(cat "$LOG/lan-heard.txt")"
grep -E 'relay: udp' "$LOG/syslog.log" | head -n 2 | while read -r line; do log "syslog: bcrelay${line#*bcrelay}"; done

client_stop cli
wait_until "$DOWN_LIMIT" "the ppp link on srv going away" no_ppp srv
server_stop srv
relay_gone() { ! relay_up; }
wait_until 10 "bcrelay stopping with pptpd" relay_gone
log "bcrelay stopped with pptpd"
pass
