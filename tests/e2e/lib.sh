# Scenario library for the end-to-end tests: sourced by a scenario that runs as root on a
# kernel with PPP (inside the VM from scripts/vm-run, or on a host that has /dev/ppp).
#
# Hosts are network namespaces joined by veth pairs to one bridge. Each host gets its own
# /etc/ppp and /etc/pptpd.conf: `ip netns exec NAME` bind-mounts /etc/netns/NAME/* over /etc,
# so a server and a client never read each other's options or chap-secrets.
#
# Addresses are documentation ranges and never leave the machine: the underlay is
# 198.51.100.0/24 (TEST-NET-2), tunnel addresses come from 203.0.113.0/24 (TEST-NET-3), and
# a LAN behind a router, when a scenario builds one, is 192.0.2.0/24 (TEST-NET-1).
#
# Every wait polls for its condition with a generous limit: software emulation is slow and
# uneven, so a fixed sleep would make the verdict depend on luck.

set -uo pipefail

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOG=${E2E_LOG_DIR:-/tmp/pptp-rs-e2e}
mkdir -p "$LOG"

OURS_PPTP=${OURS_PPTP:-$E2E_ROOT/target/release/pptp}
OURS_PPTPD=${OURS_PPTPD:-$E2E_ROOT/target/release/pptpd}
OURS_PPTPCTL=${OURS_PPTPCTL:-$E2E_ROOT/target/release/pptpctl}
REF_PPTP=/usr/sbin/pptp
REF_PPTPD=/usr/sbin/pptpd

UNDERLAY=198.51.100
TUNNEL_LOCAL=203.0.113.1
TUNNEL_POOL=203.0.113.10-12
E2E_USER=e2euser
E2E_SECRET=e2e-Secret-7
BRIDGE=e2ebr0

# Limits, in seconds. A tunnel under TCG can take 30 s to come up; allow several times that.
UP_LIMIT=${UP_LIMIT:-120}
DOWN_LIMIT=${DOWN_LIMIT:-60}

E2E_NAME=unnamed
E2E_START=$SECONDS
E2E_HOSTS=()
E2E_BRIDGES=()
SYSLOGD_PID=

log() { printf '[%4ds] %s\n' "$((SECONDS - E2E_START))" "$*"; }

# Lines in pppd and syslog output that say why a link failed or ended.
WHY_RE='fail|error|refus|denied|reject|E=[0-9]|timeout|timed out|terminat|hangup|exit|No response|not |cannot|unable|MPPE|authenticat'

dump_logs() {
	local f
	for f in "$LOG"/*; do
		[ -f "$f" ] || continue
		case "$f" in */console.log) continue ;; esac
		[ -s "$f" ] || continue
		printf '\n----- %s: lines that say why -----\n' "${f##*/}"
		grep -aiE "$WHY_RE" "$f" | head -n 25
		printf -- '----- %s: last lines -----\n' "${f##*/}"
		tail -n 20 "$f"
	done
}

fail() {
	log "FAIL: $E2E_NAME: $*"
	dump_logs
	printf '\nFAIL: %s: %s\n' "$E2E_NAME" "$*"
	exit 1
}

pass() {
	printf 'PASS: %s (%ss)\n' "$E2E_NAME" "$((SECONDS - E2E_START))"
	exit 0
}

# wait_until LIMIT WHAT COMMAND...: poll COMMAND every 0.3 s until it succeeds.
wait_until() {
	local limit=$1 what=$2
	shift 2
	local deadline=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || fail "$what did not happen within ${limit}s"
		sleep 0.3
	done
}

e2e_cleanup() {
	disown -a 2>/dev/null # no "Killed" job notices for what we end here
	local h pids
	for h in "${E2E_HOSTS[@]}"; do
		pids=$(ip netns pids "$h" 2>/dev/null)
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	done
	for h in "${E2E_HOSTS[@]}"; do
		ip netns del "$h" 2>/dev/null
		rm -rf "/etc/netns/$h"
		ip link del "v-$h" 2>/dev/null
	done
	for h in "$BRIDGE" "${E2E_BRIDGES[@]}"; do
		ip link del "$h" 2>/dev/null
	done
	[ -n "$SYSLOGD_PID" ] && kill "$SYSLOGD_PID" 2>/dev/null
	return 0
}

# e2e_begin NAME: load the PPP modules, start a syslog sink into $LOG, create the bridge.
e2e_begin() {
	E2E_NAME=$1
	E2E_START=$SECONDS
	trap e2e_cleanup EXIT
	trap 'fail "interrupted"' INT TERM
	local m
	for m in ppp_generic ppp_async ppp_synctty ppp_mppe bridge veth; do
		modprobe "$m" 2>/dev/null || [ -d "/sys/module/$m" ] || fail "kernel module $m is missing"
	done
	[ -c /dev/ppp ] || fail "/dev/ppp is missing after loading ppp_generic"
	# Both implementations log through syslog; keep it with the scenario's logs.
	if [ ! -S /dev/log ]; then
		busybox syslogd -n -O "$LOG/syslog.log" &
		SYSLOGD_PID=$!
		wait_until 10 "syslogd start" test -S /dev/log
	fi
	ip link add "$BRIDGE" type bridge || fail "cannot create bridge $BRIDGE"
	ip link set "$BRIDGE" up
	log "begin $E2E_NAME on $(uname -r)"
}

# host_add NAME OCTET: a namespace with eth0 = 198.51.100.OCTET/24 on the bridge, and its
# own /etc/ppp.
host_add() {
	host_add_on "$BRIDGE" "$1" "$UNDERLAY.$2/24"
}

# host_add_on BRIDGE NAME ADDRESS/LEN [GATEWAY]: the same on another bridge (see bridge_add),
# with a default route via GATEWAY when given.
host_add_on() {
	local bridge=$1 name=$2 addr=$3 gateway=${4:-}
	ip netns add "$name" || fail "cannot create namespace $name"
	E2E_HOSTS+=("$name")
	ip link add "v-$name" type veth peer name eth0 netns "$name"
	ip link set "v-$name" master "$bridge" up
	ip -n "$name" addr add "$addr" dev eth0
	ip -n "$name" link set eth0 up
	ip -n "$name" link set lo up
	if [ -n "$gateway" ]; then
		ip -n "$name" route add default via "$gateway" || fail "cannot add a default route via $gateway on $name"
	fi
	mkdir -p "/etc/netns/$name/ppp/peers"
	# pppd always reads /etc/ppp/options first; Debian's has `auth` and modem settings.
	printf '# %s: written by the pptp-rs e2e library\n' "$name" >"/etc/netns/$name/ppp/options"
	: >"/etc/netns/$name/pptpd.conf"
}

# bridge_add NAME: one more bridge (another LAN besides the underlay), removed at the end.
bridge_add() {
	ip link add "$1" type bridge || fail "cannot create bridge $1"
	ip link set "$1" up
	E2E_BRIDGES+=("$1")
}

# host_leg HOST BRIDGE IFNAME ADDRESS/LEN: one more interface for HOST (a router), on BRIDGE.
host_leg() {
	local name=$1 bridge=$2 ifname=$3 addr=$4
	ip link add "v-$name-$ifname" type veth peer name "$ifname" netns "$name" ||
		fail "cannot add interface $ifname to $name"
	ip link set "v-$name-$ifname" master "$bridge" up
	ip -n "$name" addr add "$addr" dev "$ifname"
	ip -n "$name" link set "$ifname" up
}

# Foreground only: a function run with & puts a subshell between $! and the process.
in_host() {
	local name=$1
	shift
	ip netns exec "$name" "$@"
}

impl_bin() { # impl_bin ours|ref client|server
	case "$1/$2" in
	ours/client) echo "$OURS_PPTP" ;;
	ours/server) echo "$OURS_PPTPD" ;;
	ref/client) echo "$REF_PPTP" ;;
	ref/server) echo "$REF_PPTPD" ;;
	*) fail "unknown implementation '$1' for the $2 (expected ours or ref)" ;;
	esac
}

# server_config HOST [REMOTEIP] [CONNECTIONS]: pptpd.conf, pptpd-options and chap-secrets
# in the shape Debian ships them, requiring MS-CHAPv2 and MPPE-128 (MPPE not required
# when SERVER_REQUIRE_MPPE=0). SERVER_EXTRA, when set, holds more pptpd.conf lines.
server_config() {
	local host=$1 pool=${2:-$TUNNEL_POOL} conns=${3:-}
	local etc=/etc/netns/$host
	{
		echo "# written by the pptp-rs e2e library"
		echo "option /etc/ppp/pptpd-options"
		echo "debug"
		echo "logwtmp"
		[ -n "$conns" ] && echo "connections $conns"
		echo "localip $TUNNEL_LOCAL"
		echo "remoteip $pool"
		[ -n "${SERVER_EXTRA:-}" ] && printf '%s\n' "$SERVER_EXTRA"
	} >"$etc/pptpd.conf"
	cat >"$etc/ppp/pptpd-options" <<-EOF
		name pptpd
		refuse-pap
		refuse-chap
		refuse-mschap
		require-mschap-v2
		$([ "${SERVER_REQUIRE_MPPE:-1}" = 1 ] && echo require-mppe-128)
		nodefaultroute
		lock
		nobsdcomp
		novj
		novjccomp
		nologfd
		debug
		logfile $LOG/$host-pppd.log
	EOF
	printf '%s pptpd "%s" *\n' "$E2E_USER" "$E2E_SECRET" >"$etc/ppp/chap-secrets"
	chmod 600 "$etc/ppp/chap-secrets"
}

# server_start HOST IMPL: start pptpd in the foreground and wait until it listens on 1723.
server_start() {
	local host=$1 impl=$2 bin
	bin=$(impl_bin "$impl" server)
	[ -x "$bin" ] || fail "server binary $bin does not exist"
	[ "$impl" = ours ] && server_hooks "$host"
	ip netns exec "$host" "$bin" --fg -c /etc/pptpd.conf >"$LOG/$host-pptpd.out" 2>&1 &
	local pid=$!
	eval "SERVER_PID_$host=$pid"
	wait_until 30 "$impl pptpd on $host listening on TCP 1723" listening "$host" 1723
	log "$impl pptpd listening on $host (pid $pid)"
}

# server_hooks HOST: what our package installs for our pptpd, in HOST's /etc: Debian's
# ip-up and ip-down (which run-parts ip-up.d and ip-down.d) with our hooks in them, and a
# control socket of the host's own (every host shares the VM's /run), at CONTROL_$host.
server_hooks() {
	local host=$1 etc=/etc/netns/$1 d
	for d in up down; do
		cp "/etc/ppp/ip-$d" "$etc/ppp/ip-$d"
		mkdir -p "$etc/ppp/ip-$d.d"
		printf '#!/bin/sh\nexec %s hook ip-%s "$@"\n' "$OURS_PPTPCTL" "$d" >"$etc/ppp/ip-$d.d/pptpd"
		chmod 755 "$etc/ppp/ip-$d.d/pptpd"
	done
	eval "CONTROL_$host=/run/pptpd-$host/control"
	grep -q '^control-socket' "$etc/pptpd.conf" ||
		echo "control-socket /run/pptpd-$host/control" >>"$etc/pptpd.conf"
}

# pptpctl_on HOST ARGS...: our pptpctl against HOST's pptpd.
pptpctl_on() {
	local host=$1 sock
	shift
	eval "sock=\${CONTROL_$host}"
	ip netns exec "$host" "$OURS_PPTPCTL" --socket "$sock" "$@"
}

# check_session HOST USER ADDR: our pptpd on HOST lists a session of USER with tunnel
# address ADDR and its ppp interface, and (logwtmp) wtmp has USER's login from ADDR's client.
check_session() {
	local host=$1 user=$2 addr=$3 out
	session_listed() { pptpctl_on "$host" show sessions match user "^$user\$" | grep -q "$addr"; }
	wait_until 30 "pptpctl on $host listing $user's session" session_listed
	out=$(pptpctl_on "$host" --json show sessions match user "^$user\$")
	grep -q '"ifname": "ppp[0-9]*"' <<<"$out" || fail "$user's session on $host has no interface: $out"
	log "session listed: $out"
	last -w -f /var/log/wtmp 2>/dev/null | grep -E "^$user +ppp[0-9]+ " | head -n 1 | grep -q . ||
		fail "no wtmp login of $user: $(last -w -f /var/log/wtmp | head -n 5)"
	log "wtmp: $(last -w -f /var/log/wtmp | grep -E "^$user " | head -n 1)"
}

# server_stop HOST: SIGTERM pptpd and wait until no process is left in the host.
server_stop() {
	local host=$1 pid
	eval "pid=\${SERVER_PID_$host}"
	kill -TERM "$pid" 2>/dev/null
	wait_until "$DOWN_LIMIT" "pptpd on $host exiting after SIGTERM" not_running "$pid"
	wait_until "$DOWN_LIMIT" "every process on $host ending" host_empty "$host"
	log "pptpd on $host stopped"
}

# client_config HOST PEER IMPL SERVER_OCTET [SECRET] [EXTRA PPTP OPTIONS...]: a peers file
# as pptpsetup writes it, with pty "pptp SERVER --nolaunchpppd".
client_config() {
	local host=$1 peer=$2 impl=$3 octet=$4 secret=${5:-$E2E_SECRET} extra="${*:6}"
	local bin etc=/etc/netns/$host
	bin=$(impl_bin "$impl" client)
	[ -x "$bin" ] || fail "client binary $bin does not exist"
	eval "CLIENT_IMPL_$host=$impl"
	{
		echo "# written by the pptp-rs e2e library ($impl client)"
		echo "pty \"$bin $UNDERLAY.$octet --nolaunchpppd${extra:+ $extra}\""
		client_ppp_options "$LOG/$host-pppd.log"
		echo "ipparam $peer"
	} >"$etc/ppp/peers/$peer"
	printf '%s pptpd "%s" *\n' "${CLIENT_USER:-$E2E_USER}" "$secret" >"$etc/ppp/chap-secrets"
	chmod 600 "$etc/ppp/chap-secrets"
}

# server_users HOST USER...: more users in HOST's chap-secrets, with the scenario's secret.
server_users() {
	local host=$1 u
	shift
	for u in "$@"; do
		printf '%s pptpd "%s" *\n' "$u" "$E2E_SECRET" >>"/etc/netns/$host/ppp/chap-secrets"
	done
}

# client_ppp_options LOGFILE: the client's pppd options, as pptpsetup and options.pptp
# give them, requiring MPPE-128, logging to LOGFILE.
client_ppp_options() {
	cat <<-EOF
		name ${CLIENT_USER:-$E2E_USER}
		remotename pptpd
		require-mppe-128
		refuse-pap
		refuse-eap
		refuse-chap
		refuse-mschap
		nobsdcomp
		nodeflate
		noauth
		nodefaultroute
		debug
		logfile $1
	EOF
}

# client_start HOST PEER: `pppd call PEER nodetach` in the background.
client_start() {
	local host=$1 peer=$2
	# pptp-linux's call manager stats, then mkdirs /var/run/pptp and takes EEXIST as fatal
	# (dirutil.c make_valid_path): clients started together race for it. Ours has no call
	# manager; the reference gets the directory made up front, as a booted system that
	# ran one pptp before would have it.
	mkdir -p -m 0770 /var/run/pptp
	ip netns exec "$host" pppd call "$peer" nodetach >"$LOG/$host-pppd.out" 2>&1 &
	eval "CLIENT_PID_$host=$!"
	log "pppd call $peer started on $host (pid $!)"
}

listening() { ip netns exec "$1" ss -Htln "sport = :$2" | grep -q LISTEN; }
not_running() { ! kill -0 "$1" 2>/dev/null; }
host_empty() { [ -z "$(ip netns pids "$1" 2>/dev/null)" ]; }
at_most_procs() { [ "$(ip netns pids "$1" 2>/dev/null | wc -l)" -le "$2" ]; }
# server_procs IMPL CALLS: how many processes a server runs with CALLS calls up: pptpd and a
# pppd per call, plus a pptpctrl per call for poptop.
server_procs() { if [ "$1" = ref ]; then echo $((1 + 2 * $2)); else echo $((1 + $2)); fi; }
ppp_line() { ip -n "$1" -o -4 addr show 2>/dev/null | grep -E ': ppp[0-9]+ +inet .* peer '; }
has_ppp() { ip -n "$1" -o link show 2>/dev/null | grep -qE ': ppp[0-9]+[:@]'; }
no_ppp() { ! has_ppp "$1"; }
has_ppp_peer() { ppp_line "$1" | grep -q " peer $2/"; } # has_ppp_peer HOST ADDR
no_ppp_peer() { ! has_ppp_peer "$1" "$2"; }

# pppd's exit statuses (pppd(8), EXIT STATUS), for failure reports.
pppd_status() {
	case "$1" in
	1) echo "fatal error" ;; 2) echo "bad options" ;; 3) echo "not setuid-root" ;;
	4) echo "kernel lacks PPP" ;; 5) echo "SIGINT, SIGTERM or SIGHUP" ;; 6) echo "serial port lock" ;;
	7) echo "serial port open failed" ;; 8) echo "connect script failed" ;;
	9) echo "pty command could not run" ;; 10) echo "PPP negotiation failed" ;;
	11) echo "peer failed to authenticate" ;; 12) echo "idle timeout" ;; 13) echo "connect time limit" ;;
	15) echo "peer not responding to echo" ;; 16) echo "modem hung up" ;; 17) echo "loopback detected" ;;
	18) echo "init script failed" ;; 19) echo "we failed to authenticate to the peer" ;;
	*) echo "see pppd(8)" ;;
	esac
}

# wait_ppp_up HOST: wait for IPCP to configure a ppp interface; sets PPP_IF, PPP_LOCAL,
# PPP_PEER. When HOST runs a client started by client_start, fail at once if its pppd exits.
wait_ppp_up() {
	local host=$1 line pid status deadline=$((SECONDS + UP_LIMIT))
	eval "pid=\${CLIENT_PID_$host:-}"
	until ppp_line "$host" >/dev/null; do
		if [ -n "$pid" ] && not_running "$pid"; then
			wait "$pid"
			status=$?
			fail "the client's pppd on $host exited with status $status ($(pppd_status "$status")) before the link came up"
		fi
		[ "$SECONDS" -lt "$deadline" ] || fail "a ppp interface with an address on $host did not happen within ${UP_LIMIT}s"
		sleep 0.3
	done
	line=$(ppp_line "$host" | head -n 1)
	PPP_IF=$(awk '{print $2}' <<<"$line")
	PPP_LOCAL=$(awk '{print $4}' <<<"$line")
	PPP_PEER=$(awk '{print $6}' <<<"$line")
	PPP_PEER=${PPP_PEER%/*}
	log "$host: $PPP_IF up, local $PPP_LOCAL peer $PPP_PEER"
}

# expect_log FILE REGEX WHAT: the log must contain a line matching REGEX.
expect_log() {
	grep -aqE "$2" "$1" 2>/dev/null || fail "$3 (no line matching '$2' in ${1##*/})"
	log "$3: $(grep -aE "$2" "$1" | head -n 1 | sed 's/^ *//')"
}

# check_ping HOST DEST [COUNT]: every echo request must be answered.
check_ping() {
	local host=$1 dest=$2 count=${3:-10} out
	out=$(in_host "$host" ping -n -c "$count" -i 0.2 -W 10 "$dest" 2>&1)
	PING_SUMMARY=$(grep -E 'packets transmitted|rtt' <<<"$out" | tr '\n' ' ')
	grep -qE "$count packets transmitted, $count received" <<<"$out" ||
		fail "ping $dest from $host: $PING_SUMMARY"
	log "ping $dest from $host: $PING_SUMMARY"
}

# ping_start HOST DEST: ping DEST from HOST in the background (5 a second) until ping_stop.
ping_start() {
	local host=$1 dest=$2
	ip netns exec "$host" ping -n -i 0.2 -W 10 "$dest" >"$LOG/$host-ping-bg.out" 2>&1 &
	eval "PING_PID_$host=$! PING_DEST_$host=$dest"
	log "background ping $dest from $host started (pid $!)"
}

# ping_stop HOST: stop the ping_start ping; every echo request must have been answered but
# the last, which may still be on its way when ping stops.
ping_stop() {
	local host=$1 pid dest summary sent got
	eval "pid=\${PING_PID_$host} dest=\${PING_DEST_$host}"
	kill -INT "$pid" 2>/dev/null
	wait "$pid"
	summary=$(grep -E 'packets transmitted' "$LOG/$host-ping-bg.out")
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$summary")
	got=$(sed -n 's/.* transmitted, \([0-9]*\) received.*/\1/p' <<<"$summary")
	[ -n "$sent" ] && [ -n "$got" ] && [ "$sent" -gt 0 ] && [ "$got" -ge $((sent - 1)) ] ||
		fail "background ping $dest from $host: ${summary:-no summary (see $host-ping-bg.out)}"
	log "background ping $dest from $host: $summary"
}

# check_transfer CLIENT_HOST SERVER_HOST SERVER_ADDR BYTES: BYTES each way over TCP through
# the tunnel, each direction verified by SHA-256. Sets XFER_SUMMARY.
check_transfer() {
	local chost=$1 shost=$2 addr=$3 bytes=$4 port=5001 out
	ip netns exec "$shost" timeout 300 python3 "$E2E_ROOT/tests/e2e/xfer.py" serve "$addr" "$port" 2 \
		>"$LOG/$shost-xfer.out" 2>&1 &
	local spid=$!
	wait_until 30 "transfer server listening on $addr:$port" listening "$shost" "$port"
	out=$(in_host "$chost" timeout 300 python3 "$E2E_ROOT/tests/e2e/xfer.py" client "$addr" "$port" "$bytes" 2>&1)
	local rc=$?
	printf '%s\n' "$out" >"$LOG/$chost-xfer.out"
	wait "$spid" 2>/dev/null
	[ "$rc" = 0 ] || fail "transfer of $bytes bytes each way between $chost and $shost: $out"
	XFER_SUMMARY=$out
	while IFS= read -r l; do log "$l"; done <<<"$out"
}

# client_stop HOST: SIGTERM the client's pppd (as `poff` does) and wait for a clean end: pppd
# and the PPTP client exit, no ppp interface or process is left on the client.
client_stop() {
	local host=$1 pid
	eval "pid=\${CLIENT_PID_$host}"
	kill -TERM "$pid" 2>/dev/null
	wait_until "$DOWN_LIMIT" "client pppd on $host exiting after SIGTERM" not_running "$pid"
	wait_until "$DOWN_LIMIT" "the ppp interface on $host going away" no_ppp "$host"
	client_leftovers "$host"
	log "client on $host torn down"
}

# host_procs HOST: the processes left in HOST, one line each, for failure reports.
host_procs() {
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null | tr '\n' ',' | sed 's/,$//')
	[ -n "$pids" ] && ps -o pid=,ppid=,stat=,wchan:16=,args= -p "$pids" 2>/dev/null
}

# client_leftovers HOST: once the client's pppd is gone, every process on HOST must end.
# Ours always does. pptp-linux now and then (twice in the last six full runs) does not: its SIGTERM and
# SIGCHLD handlers siglongjmp out of whatever the process was doing (pptp.c sighandler;
# its call manager's says "siglongjmp() is unsafe used here"), and when that was inside
# syslog() or malloc() the lock stays taken and the process hangs in futex_wait for ever,
# after the server has logged the call cleared and the connection closed. That is the
# reference client's bug, not the server's: it is reported with pid, state and command
# line, and ended here. Anything else left fails.
client_leftovers() {
	local host=$1 deadline=$((SECONDS + DOWN_LIMIT)) left impl
	eval "impl=\${CLIENT_IMPL_$host:-ours}"
	until host_empty "$host"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			left=$(host_procs "$host")
			[ "$impl" = ref ] && ! grep -qv '/usr/sbin/pptp ' <<<"$left" ||
				fail "every process on $host ending did not happen within ${DOWN_LIMIT}s; left: ${left//$'\n'/; }"
			log "pptp-linux left on $host after its call ended: ${left//$'\n'/; } (ended with SIGKILL)"
			kill -KILL $(ip netns pids "$host") 2>/dev/null
			wait_until 5 "the processes left on $host ending after SIGKILL" host_empty "$host"
			return
		fi
		sleep 0.3
	done
}

# server_idle HOST: after its calls end the server keeps only pptpd itself and no ppp link.
server_idle() {
	local host=$1
	wait_until "$DOWN_LIMIT" "the ppp interface on $host going away" no_ppp "$host"
	wait_until "$DOWN_LIMIT" "the per-call processes on $host (pppd, pptpctrl) ending" \
		at_most_procs "$host" 1
	log "server on $host back to idle"
}
