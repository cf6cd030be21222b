# RADIUS for the end-to-end scenarios, sourced after lib.sh: a FreeRADIUS (Debian's
# freeradius 3.2) of the scenario's own making in a host of its own, and our pptpd as its
# NAS through pppd's radius.so, configured from the samples in contrib/radius.
#
# The FreeRADIUS configuration is Debian's /etc/freeradius/3.0 copied to a scratch
# directory and cut down to what a PPTP site needs: one virtual server (MS-CHAP with
# Cleartext-Password from the users file, accounting to detail files) and the modules it
# uses; no EAP (it wants certificates this machine has not made). It runs in the
# foreground with -X (every request and reply in $LOG/HOST-radiusd.log), as root, with its
# logs and detail files under $LOG/HOST-radius.

RADIUS_SECRET=e2e-Radius-Secret-3

# raddb_make HOST: a scratch configuration in RADDB_$HOST (empty users file, no clients).
# RADDB_SQLIPPOOL=1 adds the shared address pool (sqlippool on sqlite) of radius-pool.sh.
raddb_make() {
	local host=$1 dir logdir
	dir=$(mktemp -d /tmp/e2e-raddb.XXXXXX) || fail "cannot make a scratch directory for FreeRADIUS"
	logdir=$LOG/$host-radius
	mkdir -p "$logdir/radacct" "$dir/run"
	cp -a /etc/freeradius/3.0/. "$dir/" || fail "cannot copy /etc/freeradius/3.0 (is freeradius installed? scripts/setup)"
	eval "RADDB_$host=$dir RADLOG_$host=$logdir"
	# Paths into the scratch directory and the log folder; root all the way (no freerad).
	sed -i -e "s|^raddbdir = .*|raddbdir = $dir|" -e "s|^logdir = .*|logdir = $logdir|" \
		-e "s|^run_dir = .*|run_dir = $dir/run|" -e '/^\s*user = freerad/d' -e '/^\s*group = freerad/d' \
		-e 's/^\(\s*auth\) = no/\1 = yes/' -e 's/^\(\s*auth_badpass\) = no/\1 = yes/' \
		"$dir/radiusd.conf"
	# MPPE-128 required, as pptpd-options requires it (MS-MPPE-Encryption-Policy 2, -Types 4).
	sed -i -e 's/^\(\s*\)#\?\s*require_encryption = .*/\1require_encryption = yes/' \
		-e 's/^\(\s*\)#\?\s*require_strong = .*/\1require_strong = yes/' "$dir/mods-available/mschap"
	rm -f "$dir"/sites-enabled/*
	# Only the modules the site uses: each one costs start-up time under emulation.
	local m
	for m in "$dir"/mods-enabled/*; do
		case ${m##*/} in always | attr_filter | detail | expr | files | mschap | preprocess) ;; *) rm -f "$m" ;; esac
	done
	: >"$dir/mods-config/files/authorize"
	: >"$dir/clients.conf"
	local ippool_auth= ippool_acct=
	if [ "${RADDB_SQLIPPOOL:-0}" = 1 ]; then
		raddb_sqlippool "$dir"
		ippool_auth='sqlippool'
		ippool_acct='sqlippool'
	fi
	cat >"$dir/sites-enabled/pptp" <<-EOF
		# written by the pptp-rs e2e library: a NAS running pppd's radius.so
		server pptp {
		listen {
			type = auth
			ipaddr = *
			port = 1812
		}
		listen {
			type = acct
			ipaddr = *
			port = 1813
		}
		authorize {
			preprocess
			mschap
			files
		}
		authenticate {
			Auth-Type MS-CHAP {
				mschap
			}
		}
		preacct {
			preprocess
			acct_unique
		}
		accounting {
			detail
			$ippool_acct
		}
		post-auth {
			$ippool_auth
			Post-Auth-Type REJECT {
				attr_filter.access_reject
			}
		}
		}
	EOF
}

# raddb_sqlippool DIR: the sql module on an sqlite file with Debian's ippool schema, and
# sqlippool on top of it. Debian 12's 3.2.1 ships its sqlite allocate_find without the AND
# between its two conditions (an SQL syntax error at the first allocation): fixed here.
raddb_sqlippool() {
	local dir=$1 db=$1/ippool.sqlite q=$1/mods-config/sql/ippool/sqlite/queries.conf
	sed -i -e 's/^\(\s*dialect\) = .*/\1 = "sqlite"/' -e 's/^\(\s*driver\) = .*/\1 = "rlm_sql_sqlite"/' \
		-e "s|^\(\s*filename\) = \"/tmp/freeradius.db\"|\1 = \"$db\"|" \
		-e "s|^\(\s*bootstrap\) = .*|\1 = \"$dir/mods-config/sql/ippool/sqlite/schema.sql\"|" \
		"$dir/mods-available/sql"
	sed -i -e 's/^\(\s*dialect\) = .*/\1 = "sqlite"/' "$dir/mods-available/sqlippool"
	grep -q "^\s*expiry_time < datetime('now')" "$q" &&
		sed -i "s/^\(\s*\)expiry_time < datetime('now')/\1AND expiry_time < datetime('now')/" "$q"
	ln -sf ../mods-available/sql "$dir/mods-enabled/sql"
	ln -sf ../mods-available/sqlippool "$dir/mods-enabled/sqlippool"
	RADDB_POOL_DB=$db
}

# raddb_pool_add HOST POOL FIRST LAST: addresses 203.0.113.FIRST-LAST in the sqlippool POOL.
raddb_pool_add() {
	local host=$1 pool=$2 i sql=
	for i in $(seq "$3" "$4"); do
		sql+="INSERT INTO radippool (id, pool_name, framedipaddress) VALUES ($i, '$pool', '203.0.113.$i');"
	done
	radius_sql "$sql" >/dev/null || fail "cannot fill the address pool $pool"
}

# radius_sql SQL: statements or one query on the pool's database, rows as a|b|c (sqlite3's
# shell is not installed; Python's module is).
radius_sql() {
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=5)
if sys.argv[2].lstrip().upper().startswith("SELECT"):
    for row in db.execute(sys.argv[2]):
        print("|".join(str(c) for c in row))
else:
    db.executescript(sys.argv[2])
db.commit()' "$RADDB_POOL_DB" "$1"
}

# raddb_client HOST NAME ADDRESS: a NAS that may send requests from ADDRESS.
raddb_client() {
	local dir
	eval "dir=\${RADDB_$1}"
	cat >>"$dir/clients.conf" <<-EOF
		client $2 {
			ipaddr = $3
			secret = $RADIUS_SECRET
			nas_type = other
			require_message_authenticator = no
		}
	EOF
}

# raddb_user HOST USER PASSWORD [FRAMED_IP|pool=NAME]: a user in the users file, with the
# address RADIUS assigns, or the sqlippool pool its address comes from.
raddb_user() {
	local dir check=
	eval "dir=\${RADDB_$1}"
	case "${4:-}" in pool=*) check=", Pool-Name := \"${4#pool=}\"" ;; esac
	{
		printf '%s\tCleartext-Password := "%s"%s\n' "$2" "$3" "$check"
		printf '\tService-Type = Framed-User,\n\tFramed-Protocol = PPP'
		case "${4:-}" in '' | pool=*) ;; *) printf ',\n\tFramed-IP-Address = %s' "$4" ;; esac
		printf '\n\n'
	} >>"$dir/mods-config/files/authorize"
}

# radius_start HOST: freeradius -X in HOST, up when it says it is ready to process requests.
radius_start() {
	local host=$1 dir pid
	eval "dir=\${RADDB_$host}"
	ip netns exec "$host" freeradius -X -d "$dir" >>"$LOG/$host-radiusd.log" 2>&1 &
	pid=$!
	eval "RADIUS_PID_$host=$pid"
	ready_or_gone() { not_running "$pid" || grep -q '^Ready to process requests' "$LOG/$host-radiusd.log"; }
	wait_until 60 "FreeRADIUS on $host ready" ready_or_gone
	not_running "$pid" &&
		fail "FreeRADIUS on $host exited at start: $(grep -aiE 'error|fail' "$LOG/$host-radiusd.log" | tail -n 5)"
	log "FreeRADIUS $(freeradius -v | sed -n 's/.*Version \([0-9.]*\).*/\1/p;q') on $host (pid $pid)"
}

# radius_stop HOST: SIGTERM FreeRADIUS and wait until it has gone.
radius_stop() {
	local host=$1 pid
	eval "pid=\${RADIUS_PID_$host}"
	kill -TERM "$pid" 2>/dev/null
	wait_until 30 "FreeRADIUS on $host exiting" not_running "$pid"
	log "FreeRADIUS on $host stopped"
}

# radius_detail HOST NAS_ADDR: the detail file of the accounting from NAS_ADDR (FreeRADIUS
# names the folder after the request's source address).
radius_detail() {
	local logdir
	eval "logdir=\${RADLOG_$1}"
	cat "$logdir"/radacct/"$2"/detail-* 2>/dev/null
}

# radius_record HOST NAS_ADDR STATUS USER: the last accounting record of that status and
# user, one attribute a line, the date line first. Empty when there is none.
radius_record() {
	radius_detail "$1" "$2" | awk -v status="$3" -v user="$4" '
		/^[A-Z][a-z][a-z] / { rec = $0 "\n"; next }
		/^$/ { if (rec ~ "Acct-Status-Type = " status "\n" && rec ~ "User-Name = \"" user "\"") last = rec; rec = ""; next }
		{ rec = rec $0 "\n" }
		END { if (rec ~ "Acct-Status-Type = " status "\n" && rec ~ "User-Name = \"" user "\"") last = rec; printf "%s", last }'
}

# nas_config HOST RADIUS_ADDR [NAS_ID]: our pptpd on HOST as a NAS of the FreeRADIUS at
# RADIUS_ADDR, from the samples in contrib/radius: pptpd.conf with delegate,
# /etc/ppp/pptpd-options with radius.so and radattr.so, /etc/ppp/radius/* with the
# scenario's addresses and secret. No chap-secrets line: RADIUS is the only AAA. Without
# NAS_ID, NAS-IP-Address is the address HOST's name resolves to (/etc/hosts of HOST); with
# it, nas_identifier NAS_ID and avpair NAS-IP-Address=HOST's address.
nas_config() {
	local host=$1 aaa=$2 nasid=${3:-} etc=/etc/netns/$1 contrib=$E2E_ROOT/contrib/radius addr
	addr=$(ip -n "$host" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
	{
		echo "# written by the pptp-rs e2e library (RADIUS)"
		echo "option /etc/ppp/pptpd-options"
		echo "debug"
		echo "logwtmp"
		echo "delegate"
		[ -n "${SERVER_EXTRA:-}" ] && printf '%s\n' "$SERVER_EXTRA"
	} >"$etc/pptpd.conf"
	sed -e "s/^192\.0\.2\.1:$/$TUNNEL_LOCAL:/" "$contrib/pptpd-options" >"$etc/ppp/pptpd-options"
	[ -n "$nasid" ] && echo "avpair NAS-IP-Address=$addr" >>"$etc/ppp/pptpd-options"
	printf 'debug\nlogfile %s\n' "$LOG/$host-pppd.log" >>"$etc/ppp/pptpd-options"
	mkdir -p "$etc/ppp/radius"
	sed -e "s/198\.51\.100\.5/$aaa/" -e 's/^radius_timeout.*/radius_timeout\t3/' \
		-e 's/^radius_retries.*/radius_retries\t1/' \
		"$contrib/radiusclient.conf" >"$etc/ppp/radius/radiusclient.conf"
	[ -n "$nasid" ] && sed -i "s/^#nas_identifier.*/nas_identifier\t$nasid/" "$etc/ppp/radius/radiusclient.conf"
	sed -e "s/^198\.51\.100\.5.*/$aaa\t\t$RADIUS_SECRET/" "$contrib/servers" >"$etc/ppp/radius/servers"
	chmod 600 "$etc/ppp/radius/servers"
	cp "$contrib/dictionary" "$contrib/dictionary.microsoft" "$contrib/port-id-map" "$etc/ppp/radius/"
	# The VM's host name is everybody's: resolve it to this host's address, as a NAS's own
	# /etc/hosts would.
	if [ -z "$nasid" ]; then
		{ echo "127.0.0.1 localhost"; echo "$addr $(hostname)"; } >"$etc/hosts"
	fi
	: >"$etc/ppp/chap-secrets"
	chmod 600 "$etc/ppp/chap-secrets"
}
