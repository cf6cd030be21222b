#!/usr/bin/env bash
# sync.sh CLIENT SERVER: `--sync` framing between the client and its pppd (pppd `sync`).
#
# Proves: with sync framing and no MPPE, the tunnel comes up and carries traffic intact
# (frames are delimited by their own length fields, including split and joined reads);
# with MPPE, which sync framing cannot carry, the client stops the call as soon as CCP
# agrees on it and says why, instead of passing corrupted frames.
#
# Not asserted: zero dropped frames under bulk load. Over a pty the kernel's sync line
# discipline resends a frame the pty could only partly take, and merges back-to-back
# writes into one frame in the other direction, so sync mode loses frames when the pty
# fills (pptp-linux's sync mode has the same exposure). TCP recovers; the transfer below
# is kept small and must arrive intact.
. "$(dirname "$0")/lib.sh"

client_impl=${1:?usage: sync.sh CLIENT SERVER}
server_impl=${2:?usage: sync.sh CLIENT SERVER}
e2e_begin "sync-$client_impl-$server_impl"

host_add srv 1
host_add cli 11
SERVER_REQUIRE_MPPE=0 server_config srv
server_start srv "$server_impl"

# ---- sync without MPPE: the link works ----
client_config cli plain "$client_impl" 1 "$E2E_SECRET" --sync --loglevel 2
sed -i '/^require-mppe-128$/d' /etc/netns/cli/ppp/peers/plain
printf 'sync\nnomppe\nnoccp\n' >>/etc/netns/cli/ppp/peers/plain
client_start cli plain
wait_ppp_up cli
check_ping cli "$TUNNEL_LOCAL" 10
check_transfer cli srv "$TUNNEL_LOCAL" $((64 * 1024))
client_stop cli
server_stop srv

# ---- sync with MPPE: refused with the reason ----
mv "$LOG/cli-pppd.log" "$LOG/cli-pppd-plain.log"
server_config srv
server_start srv "$server_impl"
client_config cli mppe "$client_impl" 1 "$E2E_SECRET" --sync
printf 'sync\n' >>/etc/netns/cli/ppp/peers/mppe
client_start cli mppe
wait_until "$UP_LIMIT" "the client's pppd ending after MPPE was agreed in sync mode" \
	not_running "$CLIENT_PID_cli"
expect_log "$LOG/syslog.log" 'CCP agreed on MPPE in --sync mode' "sync mode refuses MPPE"
expect_log "$LOG/cli-pppd.log" 'Script .*pptp .* finished \(pid [0-9]+\), status = 0x1$' "pptp exits 1 for it"
wait_until "$DOWN_LIMIT" "every process on cli ending" host_empty cli
server_idle srv
server_stop srv
pass
