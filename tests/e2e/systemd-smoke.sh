#!/usr/bin/env bash
# systemd-smoke.sh: the systemd guest of `scripts/vm-run --systemd` is fit for package tests.
#
#   scripts/vm-run --systemd --log-dir vm-logs/systemd-smoke --timeout 600 -- bash tests/e2e/systemd-smoke.sh
#
# Proves, inside the guest: systemd is PID 1 and the boot finishes (running or degraded); a
# .deb built here with dpkg-deb installs with `dpkg -i` and is removed again (/usr and
# /var/lib/dpkg are writable); a throwaway unit starts, reloads (its main process sees the
# SIGHUP) and stops with systemctl; the PPP and PPTP modules load and /dev/ppp exists; network
# namespaces work. Everything it changes is gone at power-off.
. "$(dirname "$0")/lib.sh"

e2e_begin systemd-smoke

# --- systemd is PID 1 and the boot completes ---------------------------------------------
pid1=$(cat /proc/1/comm)
[ "$pid1" = systemd ] || fail "PID 1 is '$pid1', not systemd"
# --wait returns once no boot job is left; bounded, as every wait here.
state=$(timeout 300 systemctl is-system-running --wait 2>&1)
case "$state" in
running | degraded) log "systemctl is-system-running: $state (at $(cut -d' ' -f1 /proc/uptime)s uptime)" ;;
*) fail "systemctl is-system-running says '$state'; failed units: $(systemctl list-units --failed --plain --no-legend | tr '\n' ' ')" ;;
esac
[ "$state" = degraded ] && log "failed units: $(systemctl list-units --failed --plain --no-legend | tr '\n' ' ')"

# --- dpkg can install into /usr and record it in /var/lib/dpkg --------------------------
pkg=pptp-rs-vm-smoke
build=$(mktemp -d)
mkdir -p "$build/DEBIAN" "$build/usr/share/$pkg" "$build/usr/sbin"
cat >"$build/DEBIAN/control" <<EOF
Package: $pkg
Version: 1.0
Architecture: all
Maintainer: pptp-rs test bed <root@localhost>
Description: throwaway package of the pptp-rs systemd smoke test
EOF
echo "installed by systemd-smoke.sh" >"$build/usr/share/$pkg/marker"
printf '#!/bin/sh\necho %s works\n' "$pkg" >"$build/usr/sbin/$pkg"
chmod 755 "$build/usr/sbin/$pkg"
dpkg-deb --root-owner-group --build "$build" "$build.deb" >"$LOG/dpkg-deb.out" 2>&1 ||
	fail "dpkg-deb could not build the package: $(tail -n 3 "$LOG/dpkg-deb.out")"
dpkg -i "$build.deb" >"$LOG/dpkg-install.out" 2>&1 ||
	fail "dpkg -i $pkg failed: $(tail -n 5 "$LOG/dpkg-install.out")"
dpkg-query -W -f='${Status}' "$pkg" | grep -q "install ok installed" || fail "$pkg is not recorded as installed"
[ "$(dpkg -S "/usr/sbin/$pkg" 2>/dev/null)" = "$pkg: /usr/sbin/$pkg" ] || fail "dpkg -S does not name $pkg as the owner of /usr/sbin/$pkg"
[ "$("/usr/sbin/$pkg")" = "$pkg works" ] || fail "the installed /usr/sbin/$pkg does not run"
log "dpkg -i: $pkg installed, dpkg -S /usr/sbin/$pkg -> $(dpkg -S "/usr/sbin/$pkg")"
dpkg --purge "$pkg" >"$LOG/dpkg-purge.out" 2>&1 || fail "dpkg --purge $pkg failed: $(tail -n 5 "$LOG/dpkg-purge.out")"
dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "installed" && fail "$pkg still installed after --purge"
[ ! -e "/usr/sbin/$pkg" ] && [ ! -e "/usr/share/$pkg" ] || fail "$pkg's files are left after --purge"
log "dpkg --purge: $pkg and its files gone"
rm -rf "$build" "$build.deb"

# --- a unit starts, reloads and stops -----------------------------------------------------
unit=pptp-rs-smoke.service
hups=/run/pptp-rs-smoke.hups
daemon=/usr/local/sbin/pptp-rs-smoke-daemon
# It counts the SIGHUPs it gets, as pptpd rereads its config on one. A script of its own:
# systemd would expand the $ of an inline command line itself.
cat >"$daemon" <<EOF
#!/bin/bash
n=0
trap 'n=\$((n + 1)); echo \$n >$hups' HUP
echo 0 >$hups
while :; do sleep 1 & wait \$!; done
EOF
chmod 755 "$daemon"
cat >"/etc/systemd/system/$unit" <<EOF
[Unit]
Description=pptp-rs systemd smoke: a throwaway daemon

[Service]
Type=exec
ExecStart=$daemon
ExecReload=/bin/kill -HUP \$MAINPID
EOF
systemctl daemon-reload || fail "systemctl daemon-reload failed"
systemctl start "$unit" || fail "systemctl start $unit failed: $(systemctl status "$unit" --no-pager 2>&1 | tail -n 5)"
systemctl is-active --quiet "$unit" || fail "$unit is not active after start"
wait_until 30 "$unit writing its counter" test -s "$hups"
main_pid=$(systemctl show -P MainPID "$unit")
log "systemctl start $unit: active, main pid $main_pid"
systemctl reload "$unit" || fail "systemctl reload $unit failed"
wait_until 30 "$unit seeing the SIGHUP of systemctl reload" grep -qx 1 "$hups"
[ "$(systemctl show -P MainPID "$unit")" = "$main_pid" ] || fail "reload restarted $unit instead of signalling it"
log "systemctl reload $unit: SIGHUP received, same main pid"
systemctl stop "$unit" || fail "systemctl stop $unit failed"
state=$(systemctl is-active "$unit")
[ "$state" = inactive ] || fail "$unit is '$state' after stop, not inactive"
not_running "$main_pid" || fail "$unit's main process $main_pid survived systemctl stop"
log "systemctl stop $unit: inactive, process gone"
rm -f "/etc/systemd/system/$unit" "$hups" "$daemon"
systemctl daemon-reload

# --- PPP and PPTP in the kernel ------------------------------------------------------------
# e2e_begin has loaded ppp_generic, ppp_async, ppp_synctty and ppp_mppe, and checked /dev/ppp.
for m in ppp_generic ppp_async ppp_synctty ppp_mppe pptp nf_conntrack_pptp nf_nat_pptp; do
	modprobe "$m" 2>/dev/null || [ -d "/sys/module/$m" ] || fail "modprobe $m failed"
done
[ -c /dev/ppp ] || fail "/dev/ppp is not a character device"
log "modules loaded: $(lsmod | awk 'NR > 1 && /ppp|pptp/ {print $1}' | sort | tr '\n' ' '); $(ls -l /dev/ppp)"

# --- network namespaces ---------------------------------------------------------------------
ip netns add x || fail "ip netns add x failed"
E2E_HOSTS+=(x) # removed by e2e_cleanup whatever happens next
ip -n x link set lo up || fail "cannot configure the loopback of namespace x"
in_host x ping -c 1 -W 5 127.0.0.1 >/dev/null || fail "no ping on the loopback of namespace x"
host_add smoke 5 # a veth on the bridge, as the other scenarios build hosts
in_host smoke ping -c 1 -W 5 "$UNDERLAY.5" >/dev/null || fail "no ping on namespace smoke's own address"
log "network namespaces: x and smoke (veth on $BRIDGE) work"

pass
