#!/usr/bin/env bash
# access.sh CLIENT SERVER: who may connect to our pptpd (SERVER is `ours`), with real
# pppd, MS-CHAPv2 and MPPE, in one VM.
#
# Proves:
# 1. /etc/hosts.deny (`pptpd: 198.51.100.13`): that client's pppd ends without a link,
#    pptpd logs `ctrl: denied by /etc/hosts.deny:2 client=198.51.100.13` and counts it;
# 2. `single-session deny`: a second login of user1 (from cli2) is ended as soon as pppd's
#    ip-up hook names the user, while the first (cli1) keeps pinging;
# 3. `single-session replace`, after `pptpctl reload`: user1 logging in again from cli2
#    ends cli1's tunnel and cli2's is served;
# 4. a RADIUS Port-Limit of 1, written where radattr.so writes it (/var/run/radattr.pppN,
#    by an ip-up.d script standing in for the plugin: the VM has no RADIUS server), with
#    single-session off: user1's second login is ended by the limit.
. "$(dirname "$0")/lib.sh"

client_impl=${1:?usage: access.sh CLIENT SERVER}
server_impl=${2:?usage: access.sh CLIENT SERVER}
e2e_begin "access-$client_impl-$server_impl"
[ "$server_impl" = ours ] || fail "access.sh tests our pptpd only"

host_add srv 1
for i in 1 2 3; do host_add "cli$i" "1$i"; done
etc=/etc/netns/srv
# Rewritten in place from here on: `ip netns exec` bind-mounts these files over /etc, and
# a new file (a new inode) would not be seen through the mount.
conf() { # conf EXTRA: pptpd.conf with EXTRA
	SERVER_EXTRA="$1" server_config srv 203.0.113.10-13
	echo "control-socket /run/pptpd-srv/control" >>"$etc/pptpd.conf"
	server_users srv user1
}
conf "single-session deny"
printf '# hosts.deny for the access scenario\npptpd: %s.13\n' "$UNDERLAY" >"$etc/hosts.deny"
printf '# nothing allowed explicitly\n' >"$etc/hosts.allow"
server_start srv ours
for i in 1 2 3; do
	CLIENT_USER=user1 client_config "cli$i" vpn "$client_impl" 1
done

# ---- 1. hosts.deny ----
client_start cli3 vpn
denied() { grep -aq "pptpd\[[0-9]*\]: ctrl: denied by /etc/hosts.deny:2 client=$UNDERLAY.13\$" "$LOG/syslog.log"; }
wait_until 30 "pptpd logging the hosts.deny refusal of cli3" denied
wait_until "$DOWN_LIMIT" "cli3's pppd ending without a link" host_empty cli3
has_ppp cli3 && fail "cli3 got a link although hosts.deny names it"
log "$(grep -a "ctrl: denied by" "$LOG/syslog.log" | tail -n 1 | cut -c1-200)"

# ---- 2. single-session deny ----
client_start cli1 vpn
wait_ppp_up cli1
check_session srv user1 "$PPP_LOCAL"
ping_start cli1 "$TUNNEL_LOCAL"
client_start cli2 vpn
deny_said() { grep -aq "ctrl: single-session deny: ended call_id=[0-9]* user=user1 client=$UNDERLAY.12" "$LOG/syslog.log"; }
wait_until 60 "pptpd ending user1's second login (single-session deny)" deny_said
log "$(grep -a "single-session deny" "$LOG/syslog.log" | tail -n 1 | cut -c1-240)"
wait_until "$DOWN_LIMIT" "cli2's client ending" host_empty cli2
ping_stop cli1
check_ping cli1 "$TUNNEL_LOCAL" 3
log "user1's first login on cli1 kept working"

# ---- 3. single-session replace ----
conf "single-session replace"
out=$(pptpctl_on srv reload) || fail "pptpctl reload: $out"
reloaded() { grep -aq "ctrl: configuration reloaded" "$LOG/syslog.log"; }
wait_until 10 "pptpd reloading its configuration" reloaded
client_start cli2 vpn
wait_ppp_up cli2
replace_said() { grep -aq "ctrl: single-session replace: ended call_id=[0-9]* user=user1 client=$UNDERLAY.11 for the new call_id=[0-9]* client=$UNDERLAY.12" "$LOG/syslog.log"; }
wait_until 60 "pptpd ending user1's first login (single-session replace)" replace_said
log "$(grep -a "single-session replace" "$LOG/syslog.log" | tail -n 1 | cut -c1-240)"
wait_until "$DOWN_LIMIT" "cli1's tunnel ending" no_ppp cli1
wait_until "$DOWN_LIMIT" "cli1's client ending" host_empty cli1
check_ping cli2 "$TUNNEL_LOCAL" 5
log "user1's new login on cli2 is served"

# ---- 4. a RADIUS Port-Limit, as radattr.so hands it over ----
conf ""
cat >"$etc/ppp/ip-up.d/00radattr" <<-'EOF'
	#!/bin/sh
	# Stands in for radattr.so: the attributes RADIUS sent, in the plugin's file.
	printf 'User-Name %s\nPort-Limit 1\n' "$PEERNAME" >"/var/run/radattr.$IFNAME"
EOF
chmod 755 "$etc/ppp/ip-up.d/00radattr"
out=$(pptpctl_on srv reload) || fail "pptpctl reload: $out"
client_start cli1 vpn
limit_said() { grep -aq "ctrl: port-limit: ended call_id=[0-9]* user=user1 client=$UNDERLAY.11: sessions=2 over the user's RADIUS Port-Limit=1" "$LOG/syslog.log"; }
wait_until 60 "pptpd ending user1's second login over Port-Limit 1" limit_said
log "$(grep -a "port-limit: ended" "$LOG/syslog.log" | tail -n 1 | cut -c1-240)"
wait_until "$DOWN_LIMIT" "cli1's client ending" host_empty cli1
check_ping cli2 "$TUNNEL_LOCAL" 3

stats=$(pptpctl_on srv show stats)
log "stats: $(tr '\n' ' ' <<<"$stats")"
for key in refused_hosts_access refused_single_session replaced_single_session refused_port_limit; do
	grep -qE "^$key +1\$" <<<"$stats" || fail "show stats does not count $key=1: $stats"
done
client_stop cli2
server_idle srv
server_stop srv
pass
