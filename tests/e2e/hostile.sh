#!/usr/bin/env bash
# hostile.sh CLIENT SERVER: peers that misbehave on the control connection, next to a good
# tunnel. CLIENT is `ours` (reference clients on one machine share one call manager), SERVER
# `ours` or `ref`.
#
# Proves, with `stimeout 5`, `connections 2` and a pool of two addresses of which a good
# client holds one, a live tunnel that keeps answering pings throughout:
# (a) a peer that opens TCP 1723 and sends nothing is dropped by the server within 15 s
#     for ours (`stimeout 5`), 30 s for poptop (it ignores the keyword, drops after 10 s);
# (b) a peer that sends 4 KiB of garbage is dropped;
# (c) a client that brings a call up and then vanishes (its pptp and pppd SIGKILLed, so no
#     Call-Clear or Stop-Control-Connection, only the kernel closing the TCP connection):
#     the server ends that call and frees its slot and address;
# and after each, the server is alive, the good tunnel pings, and at the end a new client
# gets the address the vanished one held.
. "$(dirname "$0")/lib.sh"

client_impl=${1:?usage: hostile.sh CLIENT SERVER (CLIENT ours, SERVER ours or ref)}
server_impl=${2:?usage: hostile.sh CLIENT SERVER (CLIENT ours, SERVER ours or ref)}
e2e_begin "hostile-$server_impl"
[ "$client_impl" = ours ] || fail "hostile.sh runs our clients only: reference clients on one machine share a call manager"

POOL=203.0.113.10-11
# Ours honours `stimeout 5` (with slack for emulation); poptop ignores the keyword in the
# file and drops a silent peer after its built-in 10 s.
case "$server_impl" in
ours) SILENT_LIMIT=15 ;;
*) SILENT_LIMIT=30 ;;
esac
host_add srv 1
host_add good 11
host_add sil 21
host_add junk 22
host_add gone 23
host_add late 24
SERVER_EXTRA='stimeout 5' server_config srv "$POOL" 2
server_start srv "$server_impl"

# A raw TCP peer: connect to TCP 1723, send nothing (silent) or 4 KiB of garbage (junk), then
# wait up to 40 s for the server to close the connection; exit 0 once it has.
PEER_PY='
import random, socket, sys, time
mode, server = sys.argv[1], sys.argv[2]
s = socket.create_connection((server, 1723), timeout=10)
start = time.monotonic()
print("connected", flush=True)
how = None
try:
    if mode == "junk":
        s.sendall(random.Random(1723).randbytes(4096))
        print("sent 4096 bytes of garbage", flush=True)
    s.settimeout(40)
    while True:
        data = s.recv(4096)
        if not data:
            how = "closed"
            break
        print("the server sent %d bytes" % len(data), flush=True)
except socket.timeout:
    print("the connection is still open after %.1fs" % (time.monotonic() - start))
    sys.exit(1)
except OSError as e:
    how = "reset (%s)" % e.strerror
print("the server %s the connection after %.1fs" % (how, time.monotonic() - start))
'

established_from() { ip netns exec srv ss -Htn state established "( sport = :1723 and dst $1 )" | grep -q .; }
closed_from() { ! established_from "$1"; }
server_alive() { kill -0 "$SERVER_PID_srv" 2>/dev/null || fail "pptpd on srv died $1"; }

# raw_peer HOST MODE LIMIT: run PEER_PY on HOST; the server must close the connection within
# LIMIT seconds of it being established.
raw_peer() {
	local host=$1 mode=$2 limit=$3 addr pid start out
	addr=$(ip -n "$host" -o -4 addr show dev eth0 | awk '{print $4}')
	addr=${addr%/*}
	ip netns exec "$host" python3 -c "$PEER_PY" "$mode" "$UNDERLAY.1" >"$LOG/$host-peer.out" 2>&1 &
	pid=$!
	# The server may drop it before a poll could see it established: wait for the peer's word.
	wait_until 30 "the $mode peer connecting from $addr" grep -q '^connected' "$LOG/$host-peer.out"
	start=$SECONDS
	log "$mode peer connected from $addr"
	wait_until "$limit" "the server closing the $mode connection from $addr" closed_from "$addr"
	log "the server closed the $mode connection within $((SECONDS - start))s"
	wait_until 60 "the $mode peer ending" not_running "$pid"
	wait "$pid" || fail "$mode peer on $host: $(tr '\n' ' ' <"$LOG/$host-peer.out")"
	out=$(tail -n 1 "$LOG/$host-peer.out")
	log "$mode peer: $out"
}

# ---- the good tunnel ----
client_config good vpn "$client_impl" 1 "$E2E_SECRET" --logstring good
client_start good vpn
wait_ppp_up good
case "$PPP_LOCAL" in
203.0.113.10) other=203.0.113.11 ;;
203.0.113.11) other=203.0.113.10 ;;
*) fail "the good client got $PPP_LOCAL, outside the pool $POOL" ;;
esac
check_ping good "$TUNNEL_LOCAL" 5
ping_start good "$TUNNEL_LOCAL"

# ---- (a) silent, (b) garbage ----
raw_peer sil silent "$SILENT_LIMIT"
server_alive "after the silent peer"
check_ping good "$TUNNEL_LOCAL" 3
raw_peer junk junk 30
server_alive "after the garbage"
check_ping good "$TUNNEL_LOCAL" 3

# ---- (c) a client that vanishes mid-call ----
client_config gone vpn "$client_impl" 1 "$E2E_SECRET" --logstring gone
client_start gone vpn
wait_ppp_up gone
[ "$PPP_LOCAL" = "$other" ] || fail "the second client got $PPP_LOCAL, expected $other, the pool's free address"
check_ping gone "$TUNNEL_LOCAL" 3
pptp_pid=
for p in $(ip netns pids gone); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = pptp ] && pptp_pid=$p
done
[ -n "$pptp_pid" ] || fail "no pptp process found on gone"
# pptp first, so that it cannot see its pppd go and clear the call.
kill -KILL "$pptp_pid" "$CLIENT_PID_gone"
log "killed pptp (pid $pptp_pid) and pppd (pid $CLIENT_PID_gone) on gone (SIGKILL)"
wait_until "$DOWN_LIMIT" "every process on gone ending" host_empty gone
wait_until "$DOWN_LIMIT" "the server ending the vanished client's call (its ppp link to $other)" \
	no_ppp_peer srv "$other"
wait_until "$DOWN_LIMIT" "the server closing the vanished client's control connection" closed_from "$UNDERLAY.23"
wait_until "$DOWN_LIMIT" "the server's processes for the vanished call ending" \
	at_most_procs srv "$(server_procs "$server_impl" 1)"
server_alive "after the client vanished"
check_ping good "$TUNNEL_LOCAL" 3

# ---- the slot and the address come back ----
client_config late vpn "$client_impl" 1 "$E2E_SECRET" --logstring late
client_start late vpn
wait_ppp_up late
[ "$PPP_LOCAL" = "$other" ] || fail "the new client got $PPP_LOCAL, expected $other, the vanished client's address"
log "the new client reuses $other"
check_ping late "$TUNNEL_LOCAL" 3

ping_stop good
client_stop late
client_stop good
server_idle srv
server_stop srv
pass
