#!/usr/bin/env bash
# package.sh: our Debian packages replace Debian's pptpd and pptp-linux on a machine that
# runs them, and Debian's come back, with the administrator's configuration untouched.
#
#   tests/e2e/run package   (a --systemd guest: real systemd, a writable throwaway root)
#
# It starts where users are: Debian's pptpd, bcrelay and pptp-linux installed (the guest's
# root is this machine's, which scripts/setup gave them), /etc/pptpd.conf,
# /etc/ppp/pptpd-options and /etc/ppp/options.pptp edited, pptpd enabled and started with
# systemctl, a pptp-linux tunnel from a client namespace up. Then:
# - `dpkg -i` of target/debian/ (scripts/package) asks nothing and keeps every conffile
#   byte for byte; dpkg names our packages as the owners; network-manager-pptp installs
#   (simulated) without pptp-linux;
# - the same peers file and configuration bring the same tunnel up through our pptp and
#   our pptpd, which systemd runs (still enabled): pptpctl lists the session, wtmp has the
#   login, `systemctl reload` keeps the call, `systemctl stop` ends it and leaves no pppd;
# - pptpsetup (ours) makes a tunnel with a hostile user name and password that pppd on
#   both ends reads back exactly, and --delete gives back chap-secrets as it was, mode 600;
# - `dpkg -r` of ours and `dpkg -i` of Debian's .debs (target/debian-ref/, downloaded by
#   scripts/package) ask nothing, keep the conffiles, and a tunnel comes up again;
# - after a purge, a fresh install of ours leaves pptpd.service disabled and stopped, as
#   Debian's does, and it runs with Debian's default pptpd.conf.
#
# The server is the guest itself (its root namespace: systemd's pptpd, /etc as dpkg left
# it); the client is a namespace on the bridge that shares /etc/ppp with it, as a second
# machine configured the same way would have it (one chap-secrets line serves both ends).
. "$(dirname "$0")/lib.sh"

SERVER=$UNDERLAY.1
DEBS=$E2E_ROOT/target/debian
REF_DEBS=$E2E_ROOT/target/debian-ref
UNIT=pptpd.service
# Every conffile of the packages involved: edited ones and untouched ones alike.
CONFFILES="/etc/pptpd.conf /etc/ppp/pptpd-options /etc/ppp/options.pptp /etc/default/pptpd
/etc/modules-load.d/pptpd.conf"

e2e_begin package

# --- the guest: systemd, our packages, Debian's -------------------------------------------
[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is not systemd: run this scenario in a --systemd guest"
state=$(timeout 300 systemctl is-system-running --wait 2>&1)
case "$state" in running | degraded) ;; *) fail "the guest's boot did not finish: $state" ;; esac
client_deb=$(ls "$DEBS"/pptp-rs-client_*.deb 2>/dev/null | head -n 1)
server_deb=$(ls "$DEBS"/pptp-rs-server_*.deb 2>/dev/null | head -n 1)
[ -n "$client_deb" ] && [ -n "$server_deb" ] || fail "no packages in $DEBS (run scripts/package)"
ref_debs=("$REF_DEBS"/pptpd_*.deb "$REF_DEBS"/pptp-linux_*.deb "$REF_DEBS"/bcrelay_*.deb)
for d in "${ref_debs[@]}"; do [ -f "$d" ] || fail "Debian's $d is missing (scripts/package downloads it)"; done
for p in pptpd pptp-linux bcrelay; do
	dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null | grep -q "^install ok installed" ||
		fail "Debian's $p is not installed here (scripts/setup installs pptpd and pptp-linux)"
done
log "start: Debian's $(dpkg-query -W -f='pptpd ${Version}, ' pptpd)$(dpkg-query -W -f='pptp-linux ${Version}' pptp-linux) installed; ours: ${client_deb##*/} ${server_deb##*/}"
# This machine's policy-rc.d (a container's "start no services") came along with its root:
# without it, maintainer scripts start and stop pptpd as on any installed system.
rm -f /usr/sbin/policy-rc.d

# --- the network: the guest serves on the bridge, the client is a namespace ----------------
ip addr add "$SERVER/24" dev "$BRIDGE" || fail "cannot give the guest $SERVER on $BRIDGE"
host_add client 20
# The client keeps the guest's /etc/ppp (host_add gave it one of its own).
rm -rf /etc/netns/client

# --- what an administrator did with Debian's packages ---------------------------------------
{
	echo
	echo "# added by the administrator (package scenario)"
	echo "localip $TUNNEL_LOCAL"
	echo "remoteip $TUNNEL_POOL"
} >>/etc/pptpd.conf
{
	echo
	echo "# added by the administrator (package scenario)"
	echo "ms-dns 192.0.2.53"
	echo "debug"
	echo "logfile $LOG/server-pppd.log"
} >>/etc/ppp/pptpd-options
sed -i 's/^#require-mppe-128$/require-mppe-128/' /etc/ppp/options.pptp
grep -qx require-mppe-128 /etc/ppp/options.pptp || echo require-mppe-128 >>/etc/ppp/options.pptp
printf '%s pptpd "%s" *\n' "$E2E_USER" "$E2E_SECRET" >>/etc/ppp/chap-secrets
chmod 600 /etc/ppp/chap-secrets
cat >/etc/ppp/peers/vpn <<EOF
# the administrator's tunnel (package scenario)
pty "/usr/sbin/pptp $SERVER --nolaunchpppd"
name $E2E_USER
remotename pptpd
require-mppe-128
file /etc/ppp/options.pptp
ipparam vpn
debug
logfile $LOG/client-pppd.log
EOF
[ -e /var/log/wtmp ] || install -m 664 -g utmp /dev/null /var/log/wtmp
conffile_sums() { sha256sum $CONFFILES; }
conffile_sums >"$LOG/conffiles.sha256"
log "configured: pptpd.conf (localip, remoteip), pptpd-options (ms-dns, debug, logfile) and options.pptp (require-mppe-128) edited"

# --- helpers -----------------------------------------------------------------------------------

# dpkg_run WHAT ARGS...: dpkg as an administrator runs it, with nobody to answer: it must
# succeed without a conffile question, leave every conffile as it was and no
# .dpkg-dist/.dpkg-new/.dpkg-old beside them.
dpkg_run() {
	local what=$1 out=$LOG/dpkg-$1.out
	shift
	DEBIAN_FRONTEND=noninteractive dpkg "$@" </dev/null >"$out" 2>&1 ||
		fail "dpkg $* ($what) failed: $(tail -n 15 "$out")"
	! grep -q "Configuration file" "$out" || fail "dpkg $* ($what) asked about a conffile: $(grep -A 3 "Configuration file" "$out")"
	sha256sum --quiet -c "$LOG/conffiles.sha256" >"$LOG/conffiles-$what.check" 2>&1 ||
		fail "a conffile changed ($what): $(cat "$LOG/conffiles-$what.check")"
	local left
	left=$(find /etc -name '*.dpkg-*' 2>/dev/null | tr '\n' ' ')
	[ -z "$left" ] || fail "dpkg left $left($what)"
	log "dpkg $what: no question asked, every conffile unchanged"
}

# owners PATH=PACKAGE...: dpkg -S names each PACKAGE as its PATH's owner (one dpkg -S: each
# reads the whole file database, seconds under emulation).
owners() {
	local pair paths=() want=() got
	for pair in "$@"; do
		paths+=("${pair%%=*}")
		want+=("${pair#*=}: ${pair%%=*}")
	done
	got=$(dpkg -S "${paths[@]}" 2>&1)
	[ "$got" = "$(printf '%s\n' "${want[@]}")" ] ||
		fail "dpkg -S ${paths[*]} says: $(tr '\n' ';' <<<"$got") (expected: $(printf '%s; ' "${want[@]}"))"
}

main_pid() { systemctl show -P MainPID "$UNIT"; }
unit_procs() { cat "/sys/fs/cgroup/system.slice/$UNIT/cgroup.procs" 2>/dev/null; }
# The call's pppd on the server: the pppd in pptpd.service's cgroup.
server_pppd() {
	local p
	for p in $(unit_procs); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = pppd ] && echo "$p"
	done
}
no_pppd() { ! pgrep -x pppd >/dev/null; }
wtmp_logins() { last -w -f /var/log/wtmp 2>/dev/null | grep -cE "^$1 +ppp[0-9]+ "; }
# logged_out USER: USER's latest login has its logout, "- 14:02  (00:01)".
logged_out() { last -w -f /var/log/wtmp | grep -E "^$1 +ppp[0-9]+ " | head -n 1 | grep -qE ' - [0-9]{2}:[0-9]{2} +\([0-9+:]+\)$'; }
wtmp_grew() { [ "$(wtmp_logins "$1")" -gt "$2" ]; } # wtmp_grew USER COUNT
reload_logged() { journalctl -b --no-pager -q | grep -q "ctrl: configuration reloaded"; }

# server_start_unit WHO: systemctl start; pptpd listening.
server_start_unit() {
	systemctl start "$UNIT" || fail "systemctl start $UNIT ($1) failed: $(systemctl status "$UNIT" --no-pager 2>&1 | tail -n 8)"
	wait_until 30 "$1 pptpd listening on TCP 1723" listening_here
}

listening_here() { ss -Htln "sport = :1723" | grep -q LISTEN; }

# tunnel WHO: the administrator's tunnel (peers file vpn) comes up, carries pings, and
# its login lands in wtmp; it is left up (tunnel_down ends it).
tunnel() {
	local who=$1 before
	before=$(wtmp_logins "$E2E_USER")
	client_start client vpn
	wait_ppp_up client
	check_ping client "$TUNNEL_LOCAL" 5
	wait_until 30 "a new wtmp login of $E2E_USER ($who)" wtmp_grew "$E2E_USER" "$before"
	log "wtmp with the tunnel up ($who): $(last -w -f /var/log/wtmp | grep -E "^$E2E_USER " | head -n 1)"
}

# tunnel_down WHO: the client ends the tunnel; no pppd is left, and wtmp has the logout.
tunnel_down() {
	client_stop client
	wait_until "$DOWN_LIMIT" "every pppd ending after the tunnel went down" no_pppd
	wait_until 30 "the logout of $E2E_USER in wtmp ($1)" logged_out "$E2E_USER"
	log "wtmp after the tunnel ($1): $(last -w -f /var/log/wtmp | grep -E "^$E2E_USER " | head -n 1)"
}

# --- 1. Debian's packages at work ------------------------------------------------------------
systemctl enable "$UNIT" >"$LOG/enable.out" 2>&1 || fail "systemctl enable $UNIT: $(cat "$LOG/enable.out")"
server_start_unit "Debian's"
log "Debian's pptpd: enabled, active (pid $(main_pid), $(readlink "/proc/$(main_pid)/exe"))"
tunnel "Debian's pptpd and pptp-linux"
tunnel_down "Debian's"

# --- 2. our packages in their place ------------------------------------------------------------
dpkg_run install-ours -i "$client_deb" "$server_deb"
grep -E "Removing|in favour" "$LOG/dpkg-install-ours.out" | while IFS= read -r l; do log "  dpkg: $l"; done
for p in pptpd pptp-linux bcrelay; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)
	case "$st" in "ii "*) fail "Debian's $p is still installed after ours" ;; esac
done
owners /usr/sbin/pptp=pptp-rs-client /usr/sbin/pptpsetup=pptp-rs-client \
	/etc/ppp/options.pptp=pptp-rs-client /usr/sbin/pptpd=pptp-rs-server \
	/usr/sbin/bcrelay=pptp-rs-server /usr/sbin/pptpctl=pptp-rs-server \
	/etc/pptpd.conf=pptp-rs-server /lib/systemd/system/$UNIT=pptp-rs-server
[ -f /lib/systemd/system/$UNIT ] && grep -q '^ExecReload=' /lib/systemd/system/$UNIT ||
	fail "our /lib/systemd/system/$UNIT is not there after pptpd's removal"
log "dpkg -S: /usr/sbin/pptp -> pptp-rs-client, /usr/sbin/pptpd, bcrelay, pptpctl, $UNIT -> pptp-rs-server"
audit=$(dpkg --audit 2>&1)
[ -z "$audit" ] || fail "dpkg --audit: $audit"
# Debian's SysV script is not ours (debian/control says why): pptpd keeps it as a leftover
# conffile, made non-executable by pptpd's postrm, until pptpd is purged.
log "Debian's pptpd now: $(dpkg-query -W -f='${db:Status-Status}' pptpd), /etc/init.d/pptpd $([ -x /etc/init.d/pptpd ] && echo executable || echo not executable)"

# network-manager-pptp depends on pptp-linux: ours must satisfy it (simulation only; the
# guest has no network, apt's lists are this machine's).
apt-get install -s --no-install-recommends network-manager-pptp </dev/null >"$LOG/apt-nm-pptp.out" 2>&1 ||
	fail "apt-get install -s network-manager-pptp: $(tail -n 10 "$LOG/apt-nm-pptp.out")"
grep -q '^Inst network-manager-pptp ' "$LOG/apt-nm-pptp.out" ||
	fail "apt-get -s would not install network-manager-pptp: $(tail -n 10 "$LOG/apt-nm-pptp.out")"
! grep -qE '^(Inst pptp-linux|Remv pptp-rs)' "$LOG/apt-nm-pptp.out" ||
	fail "network-manager-pptp would bring pptp-linux back: $(grep -E '^(Inst|Remv) ' "$LOG/apt-nm-pptp.out" | tr '\n' ' ')"
log "apt-get -s install network-manager-pptp: satisfied by pptp-rs-client ($(grep -c '^Inst ' "$LOG/apt-nm-pptp.out") packages to install, pptp-linux not among them)"

# Our postinst started pptpd, as Debian's does; the administrator's enablement carried over.
[ "$(systemctl is-enabled "$UNIT" 2>&1)" = enabled ] || fail "$UNIT is '$(systemctl is-enabled "$UNIT" 2>&1)' after our install, not enabled as before"
wait_until 30 "our pptpd started by the package" systemctl is-active --quiet "$UNIT"
wait_until 30 "our pptpd listening on TCP 1723" listening_here
pid=$(main_pid)
[ "$(readlink "/proc/$pid/exe")" = /usr/sbin/pptpd ] || fail "$UNIT runs $(readlink "/proc/$pid/exe"), not the new /usr/sbin/pptpd"
grep -q "pptp-rs" <(/usr/sbin/pptpd --version 2>&1) || fail "/usr/sbin/pptpd is not ours: $(/usr/sbin/pptpd --version 2>&1)"
log "our pptpd: started by the package, still enabled, active (pid $pid, $(/usr/sbin/pptpd --version))"

# --- 3. the same tunnel, under systemd ------------------------------------------------------
tunnel "our pptpd and pptp"
session_listed() { pptpctl show sessions match user "^$E2E_USER\$" | grep -q "$PPP_PEER"; }
wait_until 30 "pptpctl listing $E2E_USER's session" session_listed
log "pptpctl: $(pptpctl show sessions | tail -n 1)"
call_pppd=$(server_pppd)
[ -n "$call_pppd" ] || fail "no pppd in $UNIT's cgroup with a call up"

systemctl reload "$UNIT" || fail "systemctl reload $UNIT failed"
wait_until 30 "pptpd logging the reload" reload_logged
[ "$(main_pid)" = "$pid" ] || fail "reload restarted pptpd (pid $pid, now $(main_pid))"
not_running "$call_pppd" && fail "the call's pppd $call_pppd ended on reload"
check_ping client "$TUNNEL_LOCAL" 5
log "systemctl reload: same pptpd (pid $pid), the call's pppd $call_pppd still up, pings answered"

systemctl stop "$UNIT" || fail "systemctl stop $UNIT failed"
wait_until "$DOWN_LIMIT" "the client's pppd ending when the server stops" not_running "$CLIENT_PID_client"
wait_until "$DOWN_LIMIT" "the client's ppp link going away" no_ppp client
wait_until "$DOWN_LIMIT" "every pppd ending after systemctl stop" no_pppd
[ "$(systemctl is-active "$UNIT")" = inactive ] || fail "$UNIT is $(systemctl is-active "$UNIT") after stop"
[ -z "$(unit_procs)" ] || fail "processes left in $UNIT after stop: $(unit_procs | tr '\n' ' ')"
wait_until "$DOWN_LIMIT" "every process on the client ending" host_empty client
log "systemctl stop: the call ended on both sides, no pppd left, $UNIT inactive and empty"
wait_until 30 "the logout of $E2E_USER in wtmp (systemctl stop)" logged_out "$E2E_USER"
log "wtmp after systemctl stop: $(last -w -f /var/log/wtmp | grep -E "^$E2E_USER " | head -n 1)"

# --- 4. pptpsetup with a hostile user name and password -----------------------------------
# Backslash (a Windows domain's too), both quotes, spaces, $ and #: every byte pppd's word
# parser treats specially. The server's entry is written here by the rule pppd reads
# (inside double quotes, \ and " escaped), independently of pptpsetup.
H_USER='CORP\a"l i'\''ce$x#1'
H_PASS='p\a"s s'\''w$rd #2\'
pppd_quoted() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
printf '%s pptpd %s *\n' "$(pppd_quoted "$H_USER")" "$(pppd_quoted "$H_PASS")" >>/etc/ppp/chap-secrets
cp -p /etc/ppp/chap-secrets "$LOG/chap-secrets.before"
pptpsetup --create hostile-vpn --server "$SERVER" --username "$H_USER" --password "$H_PASS" --encrypt \
	</dev/null >"$LOG/pptpsetup-create.out" 2>&1 || fail "pptpsetup --create failed: $(cat "$LOG/pptpsetup-create.out")"
[ -f /etc/ppp/peers/hostile-vpn ] || fail "pptpsetup wrote no /etc/ppp/peers/hostile-vpn"
log "pptpsetup --create hostile-vpn: user $H_USER, password $H_PASS; chap-secrets entry: $(grep -A1 'pptpsetup for hostile-vpn' /etc/ppp/chap-secrets | tail -n 1)"
echo "logfile $LOG/hostile-pppd.log" >>/etc/ppp/peers/hostile-vpn
server_start_unit "our"
client_start client hostile-vpn
wait_ppp_up client
check_ping client "$TUNNEL_LOCAL" 5
hostile_listed() { pptpctl --json show sessions | grep -qF 'CORP\\a\"l i'; }
wait_until 30 "pptpctl listing the hostile user's session" hostile_listed
log "tunnel hostile-vpn up: the server authenticated '$H_USER' with pptpsetup's secret"
client_stop client
pptpsetup --delete hostile-vpn </dev/null >"$LOG/pptpsetup-delete.out" 2>&1 ||
	fail "pptpsetup --delete failed: $(cat "$LOG/pptpsetup-delete.out")"
[ ! -e /etc/ppp/peers/hostile-vpn ] || fail "pptpsetup --delete left /etc/ppp/peers/hostile-vpn"
cmp -s /etc/ppp/chap-secrets "$LOG/chap-secrets.before" ||
	fail "pptpsetup --delete did not give chap-secrets back as it was: $(diff "$LOG/chap-secrets.before" /etc/ppp/chap-secrets)"
[ "$(stat -c %a /etc/ppp/chap-secrets)" = 600 ] || fail "chap-secrets is mode $(stat -c %a /etc/ppp/chap-secrets) after --delete"
log "pptpsetup --delete hostile-vpn: peers file gone, chap-secrets as before (the server's entry kept), mode 600"
systemctl stop "$UNIT"

# --- 5. back to Debian's packages -------------------------------------------------------------
dpkg_run remove-ours -r pptp-rs-client pptp-rs-server
[ ! -e /usr/sbin/pptpd ] && [ ! -e /usr/sbin/pptp ] || fail "our binaries are left after dpkg -r"
dpkg_run install-debian -i "${ref_debs[@]}"
owners /usr/sbin/pptp=pptp-linux /usr/sbin/pptpd=pptpd /usr/sbin/bcrelay=bcrelay \
	/etc/pptpd.conf=pptpd /lib/systemd/system/$UNIT=pptpd
[ "$(systemctl is-enabled "$UNIT" 2>&1)" = enabled ] || fail "$UNIT is '$(systemctl is-enabled "$UNIT" 2>&1)' after Debian's came back, not enabled as before"
wait_until 30 "Debian's pptpd started by its package" systemctl is-active --quiet "$UNIT"
wait_until 30 "Debian's pptpd listening on TCP 1723" listening_here
log "Debian's pptpd back: enabled, active (pid $(main_pid), $(/usr/sbin/pptpd --version 2>&1 | head -n 1))"
tunnel "Debian's pptpd and pptp-linux again"
tunnel_down "Debian's again"
systemctl stop "$UNIT"

# --- 6. a fresh install is neither enabled nor started ------------------------------------
# As Debian's pptpd: deb-systemd-invoke starts a unit only when it is enabled (as it was
# in step 2), so a new PPTP server opens nothing to the network until the administrator
# enables it.
DEBIAN_FRONTEND=noninteractive dpkg --purge pptpd pptp-linux bcrelay pptp-rs-client pptp-rs-server \
	</dev/null >"$LOG/dpkg-purge.out" 2>&1 || fail "dpkg --purge failed: $(tail -n 10 "$LOG/dpkg-purge.out")"
DEBIAN_FRONTEND=noninteractive dpkg -i "$client_deb" "$server_deb" </dev/null >"$LOG/dpkg-fresh.out" 2>&1 ||
	fail "a fresh dpkg -i of ours failed: $(tail -n 10 "$LOG/dpkg-fresh.out")"
[ "$(systemctl is-enabled "$UNIT" 2>&1)" = disabled ] || fail "a fresh install left $UNIT '$(systemctl is-enabled "$UNIT" 2>&1)', not disabled"
[ "$(systemctl is-active "$UNIT" 2>&1)" = inactive ] || fail "a fresh install left $UNIT '$(systemctl is-active "$UNIT" 2>&1)', not inactive"
cmp -s /etc/pptpd.conf "$E2E_ROOT/debian/debian12/etc/pptpd.conf" || fail "a fresh install's /etc/pptpd.conf is not Debian's"
server_start_unit "our (Debian's default pptpd.conf)"
systemctl stop "$UNIT" || fail "systemctl stop $UNIT failed"
log "fresh install of ours: $UNIT disabled and inactive; with Debian's default pptpd.conf it starts and stops"

pass
