#!/usr/bin/env bash
# radius.sh: our pptpd with FreeRADIUS (Debian's 3.2) as its only AAA, through pppd's
# radius.so and `delegate`, configured from contrib/radius. A reference client (pptp-linux)
# and ours; no chap-secrets line on the server.
#
# Proves:
# 1. both clients authenticate with MS-CHAPv2 against FreeRADIUS, MPPE-128 comes up on both
#    sides with the keys of the Access-Accept, and each client gets the Framed-IP-Address
#    RADIUS assigned it;
# 2. accounting Start and Stop reach FreeRADIUS with the client's address as
#    Calling-Station-Id (pptpd's `remotenumber`), the address, a session time and byte
#    counts (read from FreeRADIUS's detail file, printed here);
# 3. a wrong password and a user RADIUS does not know are refused, and said so by the
#    client, the server's pppd and FreeRADIUS;
# 4. a Disconnect-Request from the RADIUS server (FreeRADIUS's radclient) to pptpd's
#    dae-server ends bob's session (Disconnect-ACK; pppd's Accounting Stop follows, cause
#    User-Request); one naming a user with no session gets Disconnect-NAK, Error-Cause 503;
# 5. FreeRADIUS stopped mid-session: the live tunnel keeps answering pings, a new login
#    fails cleanly (pppd says the RADIUS server did not answer, the client is refused),
#    pptpd lives on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/radius-lib.sh"

e2e_begin radius

AAA=$UNDERLAY.5
ALICE_IP=203.0.113.21
BOB_IP=203.0.113.22
host_add aaa 5
host_add srv 1
host_add cli1 11
host_add cli2 12

raddb_make aaa
raddb_client aaa pptp-srv "$UNDERLAY.1"
raddb_user aaa alice "$E2E_SECRET" "$ALICE_IP"
raddb_user aaa bob "$E2E_SECRET" "$BOB_IP"
radius_start aaa
DAE_SECRET=e2e-Dae-Secret-5
SERVER_EXTRA="dae-server $UNDERLAY.1:3799 $DAE_SECRET
dae-client $AAA
dae-nas-ip-address $UNDERLAY.1" nas_config srv "$AAA"
server_start srv ours
RADLOG=$LOG/aaa-radiusd.log
SRVLOG=$LOG/srv-pppd.log

# ---- 1. MS-CHAPv2 against RADIUS, MPPE-128 from its keys, its addresses ----
CLIENT_USER=alice client_config cli1 vpn ref 1
CLIENT_USER=bob client_config cli2 vpn ours 1
client_start cli1 vpn
client_start cli2 vpn
wait_ppp_up cli1
[ "$PPP_LOCAL" = "$ALICE_IP" ] || fail "alice (reference client) got $PPP_LOCAL, not RADIUS's Framed-IP-Address $ALICE_IP"
[ "$PPP_PEER" = "$TUNNEL_LOCAL" ] || fail "alice's peer is $PPP_PEER, expected the server's $TUNNEL_LOCAL"
wait_ppp_up cli2
[ "$PPP_LOCAL" = "$BOB_IP" ] || fail "bob (our client) got $PPP_LOCAL, not RADIUS's Framed-IP-Address $BOB_IP"
log "each client has the address RADIUS assigned: alice $ALICE_IP (ref), bob $BOB_IP (ours)"
expect_log "$RADLOG" 'Login OK: \[alice\]' "FreeRADIUS accepted alice"
expect_log "$RADLOG" 'Login OK: \[bob\]' "FreeRADIUS accepted bob"
expect_log "$RADLOG" 'MS-MPPE-Recv-Key = ' "the Access-Accept carries the MPPE keys"
expect_log "$SRVLOG" 'rcvd \[CHAP Response .*name = "alice"\]' "the server's pppd got alice's MS-CHAPv2 response"
expect_log "$LOG/cli1-pppd.log" 'MPPE 128-bit .*enabled' "MPPE-128 on the reference client"
expect_log "$LOG/cli2-pppd.log" 'MPPE 128-bit .*enabled' "MPPE-128 on our client"
mppe_both() { [ "$(grep -ac 'MPPE 128-bit .*enabled' "$SRVLOG")" -ge 2 ]; }
wait_until 10 "MPPE-128 on the server's two pppds" mppe_both
log "MPPE-128 on the server for both calls ($(grep -ac 'MPPE 128-bit .*enabled' "$SRVLOG") lines in srv-pppd.log)"
check_session srv alice "$ALICE_IP"
check_session srv bob "$BOB_IP"
check_ping cli1 "$TUNNEL_LOCAL" 5
check_ping cli2 "$TUNNEL_LOCAL" 5

# ---- 2. accounting Start and Stop in FreeRADIUS's detail file ----
started() { radius_record aaa "$UNDERLAY.1" Start "$1" | grep -q .; }
wait_until 30 "accounting Start of alice in the detail file" started alice
wait_until 30 "accounting Start of bob in the detail file" started bob
rec=$(radius_record aaa "$UNDERLAY.1" Start alice)
grep -q "Calling-Station-Id = \"$UNDERLAY.11\"" <<<"$rec" || fail "alice's Start has not her address as Calling-Station-Id: $rec"
grep -q "Framed-IP-Address = $ALICE_IP" <<<"$rec" || fail "alice's Start has not her tunnel address: $rec"
log "FreeRADIUS detail record of alice's session (Start):"
while IFS= read -r l; do log "    $l"; done <<<"$rec"
client_stop cli2
stopped() { radius_record aaa "$UNDERLAY.1" Stop "$1" | grep -q .; }
wait_until 30 "accounting Stop of bob in the detail file" stopped bob
rec=$(radius_record aaa "$UNDERLAY.1" Stop bob)
log "FreeRADIUS detail record of bob's session (Stop):"
while IFS= read -r l; do log "    $l"; done <<<"$rec"
value() { sed -n "s/^\s*$1 = \"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" <<<"$rec" | head -n 1; }
[ "$(value Calling-Station-Id)" = "$UNDERLAY.12" ] || fail "bob's Stop: Calling-Station-Id is '$(value Calling-Station-Id)', expected $UNDERLAY.12"
[ "$(value Framed-IP-Address)" = "$BOB_IP" ] || fail "bob's Stop: Framed-IP-Address is '$(value Framed-IP-Address)'"
for a in Acct-Session-Time Acct-Input-Octets Acct-Output-Octets Acct-Input-Packets Acct-Output-Packets; do
	v=$(value "$a")
	[ -n "$v" ] && [ "$v" -gt 0 ] 2>/dev/null || fail "bob's Stop: $a is '${v:-missing}', expected a count above 0"
done
# pppd runs on the pty pptpd gives it as its tty (not through pppd's pty option): Async.
[ "$(value NAS-Port-Type)" = Async ] || fail "bob's Stop: NAS-Port-Type is '$(value NAS-Port-Type)', expected Async"
[ -n "$(value NAS-Port)" ] || fail "bob's Stop has no NAS-Port"
log "bob's Stop: session $(value Acct-Session-Time) s, in $(value Acct-Input-Octets) B, out $(value Acct-Output-Octets) B, NAS-Port $(value NAS-Port)"

# ---- 3. wrong password, unknown user ----
refused() { # refused HOST USER WHAT: the client's pppd ends, refused; every side says so
	local host=$1 user=$2 what=$3 status
	wait_until "$UP_LIMIT" "the client of $what ending" not_running "$(eval echo "\$CLIENT_PID_$host")"
	wait "$(eval echo "\$CLIENT_PID_$host")"
	status=$?
	no_ppp "$host" || fail "a link came up for $what"
	log "$what: the client's pppd exited with status $status ($(pppd_status "$status"))"
	[ "$status" = 19 ] || fail "$what: expected pppd status 19 (we failed to authenticate to the peer)"
	# radius.so sends a CHAP Failure with no message: the Access-Reject's MS-CHAP-Error
	# (E=691 ...) is not passed on, so the client cannot say more than this.
	expect_log "$LOG/$host-pppd.log" '^CHAP authentication failed' "$what: the client is refused"
	expect_log "$SRVLOG" "Peer $user failed CHAP authentication" "$what: the server's pppd refuses $user"
	client_leftovers "$host"
	mv "$LOG/$host-pppd.log" "$LOG/$host-pppd-$user-refused.log"
}
CLIENT_USER=bob client_config cli2 vpn ours 1 wrong-Secret-0
client_start cli2 vpn
refused cli2 bob "bob with a wrong password"
expect_log "$RADLOG" 'Login incorrect .*\[bob' "FreeRADIUS: bob's wrong password"
CLIENT_USER=mallory client_config cli2 vpn ours 1
client_start cli2 vpn
refused cli2 mallory "mallory, whom RADIUS does not know"
expect_log "$RADLOG" 'Login incorrect .*\[mallory' "FreeRADIUS: mallory unknown"

# ---- 4. Disconnect-Request: ACK for bob's session, NAK for nobody's ----
CLIENT_USER=bob client_config cli2 vpn ours 1
client_start cli2 vpn
wait_ppp_up cli2
check_session srv bob "$BOB_IP"
disconnect() { # disconnect ATTRIBUTES: radclient's Disconnect-Request from the RADIUS host
	printf '%s\n' "$1" | in_host aaa radclient -x -r 1 -t 5 "$UNDERLAY.1:3799" disconnect "$DAE_SECRET" 2>&1
}
# Debian's radius.so makes Acct-Session-Id with pppd's own slprintf, which has no %lX or
# %hX: it comes out as "%lX", the time in hex, "%hX" (no pid; the same for every session
# of the server started in that second). What pptpd answers to it is logged, not judged.
started_again() { [ "$(radius_detail aaa "$UNDERLAY.1" | grep -c 'User-Name = "bob"')" -ge 3 ]; }
wait_until 30 "bob's new accounting Start" started_again
asid=$(radius_record aaa "$UNDERLAY.1" Start bob | sed -n 's/^\s*Acct-Session-Id = "\(.*\)"$/\1/p')
out=$(disconnect "Acct-Session-Id = \"$asid\"")
log "note: radius.so's Acct-Session-Id of bob's session is '$asid'; Disconnect-Request by it: $(grep -E 'Received|Error-Cause' <<<"$out" | tr '\n\t' '  ')"
if grep -q 'Received Disconnect-ACK' <<<"$out"; then
	wait_until 10 "bob's tunnel ending after the Disconnect-ACK" no_ppp cli2
	wait_until "$DOWN_LIMIT" "bob's client ending" host_empty cli2
	client_start cli2 vpn
	wait_ppp_up cli2
	check_session srv bob "$BOB_IP"
fi
stops=$(radius_detail aaa "$UNDERLAY.1" | grep -c 'Acct-Status-Type = Stop')
out=$(disconnect "User-Name = bob, NAS-IP-Address = $UNDERLAY.1")
log "radclient disconnect User-Name = bob:"
while IFS= read -r l; do log "    $l"; done <<<"$out"
grep -q 'Received Disconnect-ACK' <<<"$out" || fail "no Disconnect-ACK for bob's session"
wait_until 10 "bob's tunnel ending after the Disconnect-ACK" no_ppp cli2
wait_until "$DOWN_LIMIT" "bob's client ending" host_empty cli2
expect_log "$LOG/syslog.log" 'terminated by a RADIUS Disconnect-Request' "pptpd says why bob's call ended"
dae_stopped() { [ "$(radius_detail aaa "$UNDERLAY.1" | grep -c 'Acct-Status-Type = Stop')" -gt "$stops" ]; }
wait_until 30 "bob's Accounting Stop after the disconnect" dae_stopped
rec=$(radius_record aaa "$UNDERLAY.1" Stop bob)
grep -q 'Acct-Terminate-Cause = User-Request' <<<"$rec" || fail "bob's Stop after the disconnect: $rec"
log "bob's Accounting Stop after the disconnect: $(grep -E 'Acct-Session-Time|Acct-Terminate-Cause' <<<"$rec" | tr -s '\n\t' '  ')"
out=$(disconnect "User-Name = nobody")
log "radclient disconnect User-Name = nobody:"
while IFS= read -r l; do log "    $l"; done <<<"$out"
grep -q 'Received Disconnect-NAK' <<<"$out" || fail "no Disconnect-NAK for a user without a session"
grep -q 'Error-Cause = Session-Context-Not-Found' <<<"$out" || fail "the NAK does not say Session-Context-Not-Found (503)"
check_ping cli1 "$TUNNEL_LOCAL" 3
mv "$LOG/cli2-pppd.log" "$LOG/cli2-pppd-bob-disconnected.log"

# ---- 5. FreeRADIUS stops mid-session ----
ping_start cli1 "$TUNNEL_LOCAL"
radius_stop aaa
check_ping cli1 "$TUNNEL_LOCAL" 5
CLIENT_USER=bob client_config cli2 vpn ours 1
client_start cli2 vpn
refused cli2 bob "bob while FreeRADIUS is down"
# radius.so logs through syslog (not pppd's logfile), and names the server by its reverse
# lookup ("unknown" when there is none).
expect_log "$LOG/syslog.log" 'pppd\[[0-9]+\]: rc_send_server: no reply from RADIUS server .*:1812' \
	"the server's pppd: RADIUS does not answer"
kill -0 "$SERVER_PID_srv" 2>/dev/null || fail "pptpd died while FreeRADIUS was down"
ping_stop cli1
client_stop cli1
expect_log "$LOG/syslog.log" 'Accounting STOP failed for alice' "alice's Stop could not be sent, and pppd says so"
server_idle srv
server_stop srv
pass
