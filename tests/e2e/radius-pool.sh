#!/usr/bin/env bash
# radius-pool.sh: two of our pptpd servers (two hosts) on one FreeRADIUS whose sqlippool
# (sqlite) hands out the tunnel addresses from one pool of three, 203.0.113.100-102.
#
# Each server tells FreeRADIUS who it is by NAS-IP-Address, which sqlippool keys its leases
# on with NAS-Port (the ppp unit, the same on both servers): srv1 the way radius.so does by
# default (its host name resolves to its address), srv2 with nas_identifier in
# radiusclient.conf and `avpair NAS-IP-Address=...` in pptpd-options.
#
# Proves:
# 1. three clients, two on srv1 (one a reference client) and one on srv2, get three
#    distinct addresses from the shared pool, and the leases name the right server;
# 2. an address comes back to the pool when its session stops (pppd's Accounting Stop
#    releases the lease) and goes to the next client, on the other server;
# 3. a client moves from srv1 to srv2: the lease on srv1 ends, it gets an address on srv2
#    with a lease under srv2's NAS-IP-Address, and its tunnel works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/radius-lib.sh"

e2e_begin radius-pool

AAA=$UNDERLAY.5
SRV1=$UNDERLAY.1
SRV2=$UNDERLAY.2
POOL="203.0.113.100 203.0.113.101 203.0.113.102"
host_add aaa 5
host_add srv1 1
host_add srv2 2
for i in 1 2 3 4; do host_add "cli$i" "1$i"; done

RADDB_SQLIPPOOL=1 raddb_make aaa
raddb_client aaa pptp-srv1 "$SRV1"
raddb_client aaa pptp-srv2 "$SRV2"
for i in 1 2 3 4; do raddb_user aaa "user$i" "$E2E_SECRET" pool=pptp; done
radius_start aaa
raddb_pool_add aaa pptp 100 102
SERVER_EXTRA="pidfile /run/pptpd-srv1.pid" nas_config srv1 "$AAA"
SERVER_EXTRA="pidfile /run/pptpd-srv2.pid" nas_config srv2 "$AAA" pptp-srv2
server_start srv1 ours
server_start srv2 ours

leases() { # the pool's live leases, one "address nas user" a line
	radius_sql "SELECT framedipaddress, nasipaddress, username FROM radippool
		WHERE expiry_time > datetime('now') ORDER BY framedipaddress" | tr '|' ' '
}
lease_of() { leases | awk -v u="$1" '$3 == u { print $1 " " $2 }'; }
show_leases() {
	log "leases in FreeRADIUS's pool (address, NAS-IP-Address, user):"
	leases | while IFS= read -r l; do log "    $l"; done
}
# connect HOST USER IMPL SERVER_OCTET: start the client of USER on HOST for that server.
connect() {
	local host=$1 user=$2 impl=$3 octet=$4 localbind=
	[ "$impl" = ref ] && localbind="--localbind $UNDERLAY.1${host#cli}"
	CLIENT_USER=$user client_config "$host" vpn "$impl" "$octet" "$E2E_SECRET" $localbind
	client_start "$host" vpn
}
# connected HOST USER SERVER_OCTET: wait for the address, check it is USER's lease on that
# server and that the tunnel carries traffic. Sets ADDR.
connected() {
	local host=$1 user=$2 octet=$3
	wait_ppp_up "$host"
	ADDR=$PPP_LOCAL
	[[ " $POOL " == *" $ADDR "* ]] || fail "$user got $ADDR, which is not in the pool ($POOL)"
	has_lease() { [ "$(lease_of "$user")" = "$ADDR $UNDERLAY.$octet" ]; }
	wait_until 10 "$user's lease of $ADDR under NAS-IP-Address $UNDERLAY.$octet" has_lease
	check_ping "$host" "$TUNNEL_LOCAL" 3
	log "$user on srv$octet: $ADDR, leased to NAS $UNDERLAY.$octet"
}
up() { # up HOST USER IMPL SERVER_OCTET: both
	connect "$@"
	connected "$1" "$2" "$4"
}
# down HOST USER: the client leaves; its server's accounting Stop must release the lease.
down() {
	local host=$1 user=$2
	client_stop "$host"
	released() { [ -z "$(lease_of "$user")" ]; }
	wait_until 30 "$user's lease released by the accounting Stop" released
	log "$user left: lease released"
}

# ---- 1. three clients on two servers, three distinct addresses ----
connect cli1 user1 ours 1
connect cli2 user2 ours 2
connect cli3 user3 ref 1
connected cli1 user1 1
a1=$ADDR
connected cli2 user2 2
a2=$ADDR
connected cli3 user3 1
a3=$ADDR
got=$(printf '%s\n' "$a1" "$a2" "$a3" | sort -u | wc -l)
[ "$got" = 3 ] || fail "the three clients did not get distinct addresses: $a1 $a2 $a3"
show_leases
expect_log "$LOG/aaa-radiusd.log" 'Allocated IP: 203\.0\.113\.[0-9]+ from pptp' "sqlippool allocating"

# ---- 2. user2 leaves srv2; its address goes to user4 on srv1 ----
down cli2 user2
stop=$(radius_record aaa "$SRV2" Stop user2)
grep -q 'NAS-Identifier = "pptp-srv2"' <<<"$stop" || fail "srv2's Stop has no NAS-Identifier pptp-srv2: $stop"
grep -q "NAS-IP-Address = $SRV2" <<<"$stop" || fail "srv2's Stop has no NAS-IP-Address $SRV2: $stop"
up cli4 user4 ours 1
[ "$ADDR" = "$a2" ] || fail "user4 got $ADDR, expected $a2, the pool's only free address (user2's)"
log "user2's $a2 came back to the pool and went to user4 on srv1"
show_leases

# ---- 3. user1 moves from srv1 to srv2 ----
down cli1 user1
up cli1 user1 ours 2
[ "$ADDR" = "$a1" ] || fail "user1 got $ADDR on srv2, expected $a1, the pool's only free address"
log "user1 moved from srv1 to srv2 and has $ADDR under srv2's NAS-IP-Address"
show_leases
check_ping cli3 "$TUNNEL_LOCAL" 3
check_ping cli4 "$TUNNEL_LOCAL" 3

for h in cli1 cli3 cli4; do client_stop "$h"; done
empty() { [ -z "$(leases)" ]; }
wait_until 30 "every lease released" empty
log "every lease released: the pool is free again"
server_idle srv1
server_idle srv2
server_stop srv1
server_stop srv2
radius_stop aaa
pass
