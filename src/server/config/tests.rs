use super::*;

use std::fs;
use std::os::unix::fs::PermissionsExt;

const CONF: &str = "/etc/pptpd.conf";

fn parse(text: &str) -> (FileSettings, Vec<String>) {
    match parse_str(text, Path::new(CONF)) {
        Ok(r) => r,
        Err(e) => panic!("{text:?} failed: {e}"),
    }
}

fn parse_err(text: &str) -> String {
    match parse_str(text, Path::new(CONF)) {
        Ok(r) => panic!("{text:?} parsed: {r:?}"),
        Err(e) => e.to_string(),
    }
}

fn ip(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

/// Addresses from a to b in the last octet of 10.0.0.x.
fn ten(range: RangeInclusive<u8>) -> Vec<Ipv4Addr> {
    range.map(|d| ip(10, 0, 0, d)).collect()
}

use std::ops::RangeInclusive;

/// Test resolver: `*.example` names resolve to 198.51.100.N, where N is the name's length;
/// `gw.example` is 203.0.113.1; anything else fails.
fn fake_resolve(host: &str) -> Result<Ipv4Addr, String> {
    match host {
        "gw.example" => Ok(ip(203, 0, 113, 1)),
        h if h.ends_with(".example") => Ok(ip(198, 51, 100, h.len() as u8)),
        h => h
            .parse()
            .map_err(|_| format!("cannot resolve host name: no such host '{h}'")),
    }
}

/// A scratch directory for one test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("pptp-rs-srvcfg-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, text).expect("write scratch file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Merges `text` (as file `CONF`) with `opts`, with the fake resolver and no file checks.
fn merged(opts: &ServerOptions, text: &str) -> Result<(ServerConfig, Vec<String>), ConfigError> {
    let (file, mut warnings) = parse_str(text, Path::new(CONF))?;
    let config = merge(
        opts,
        file,
        PathBuf::from(CONF),
        &fake_resolve,
        &mut warnings,
    )?;
    Ok((config, warnings))
}

fn merged_ok(opts: &ServerOptions, text: &str) -> (ServerConfig, Vec<String>) {
    merged(opts, text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn defaults() -> ServerConfig {
    ServerConfig {
        option_file: None,
        debug: false,
        stimeout: Duration::from_secs(10),
        noipparam: false,
        logwtmp: false,
        bcrelay: None,
        vrf: None,
        delegate: false,
        connections: 100,
        local_ips: (1..=100).map(|d| ip(192, 168, 0, d)).collect(),
        remote_ips: (1..=100).map(|d| ip(192, 168, 1, d)).collect(),
        listen: None,
        pidfile: "/var/run/pptpd.pid".into(),
        speed: "115200".into(),
        ppp: "/usr/sbin/pppd".into(),
        conf_file: CONF.into(),
    }
}

// ==== Real-world files ====

/// Debian's /etc/pptpd.conf (pptpd 1.4.0-12), verbatim.
const DEBIAN_CONF: &str = "\
###############################################################################
# $Id$
#
# Sample Poptop configuration file /etc/pptpd.conf
#
# Changes are effective when pptpd is restarted.
###############################################################################

# TAG: ppp
#\tPath to the pppd program, default '/usr/sbin/pppd' on Linux
#
#ppp /usr/sbin/pppd

# TAG: option
#\tSpecifies the location of the PPP options file.
#\tBy default PPP looks in '/etc/ppp/options'
#
option /etc/ppp/pptpd-options

# TAG: debug
#\tTurns on (more) debugging to syslog
#
#debug

# TAG: stimeout
#\tSpecifies timeout (in seconds) on starting ctrl connection
#
# stimeout 10

# TAG: noipparam
#       Suppress the passing of the client's IP address to PPP, which is
#       done by default otherwise.
#
#noipparam

# TAG: logwtmp
#\tUse wtmp(5) to record client connections and disconnections.
#
logwtmp

# TAG: bcrelay <if>
#\tTurns on broadcast relay to clients from interface <if>
#
#bcrelay eth1

# TAG: delegate
#\tDelegates the allocation of client IP addresses to pppd.
#
#       Without this option, which is the default, pptpd manages the list of
#       IP addresses for clients and passes the next free address to pppd.
#       With this option, pptpd does not pass an address, and so pppd may use
#       radius or chap-secrets to allocate an address.
#
#delegate

# TAG: connections
#       Limits the number of client connections that may be accepted.
#
#       If pptpd is allocating IP addresses (e.g. delegate is not
#       used) then the number of connections is also limited by the
#       remoteip option.  The default is 100.
#connections 100

# TAG: localip
# TAG: remoteip
#\tSpecifies the local and remote IP address ranges.
#
#\tThese options are ignored if delegate option is set.
#
#       Any addresses work as long as the local machine takes care of the
#       routing.  But if you want to use MS-Windows networking, you should
#       use IP addresses out of the LAN address space and use the proxyarp
#       option in the pppd options file, or run bcrelay.
#
#\tYou can specify single IP addresses seperated by commas or you can
#\tspecify ranges, or both. For example:
#
#\t\t192.168.0.234,192.168.0.245-249,192.168.0.254
#
#\tIMPORTANT RESTRICTIONS:
#
#\t1. No spaces are permitted between commas or within addresses.
#
#\t2. If you give more IP addresses than the value of connections,
#\t   it will start at the beginning of the list and go until it
#\t   gets connections IPs.  Others will be ignored.
#
#\t3. No shortcuts in ranges! ie. 234-8 does not mean 234 to 238,
#\t   you must type 234-238 if you mean this.
#
#\t4. If you give a single localIP, that's ok - all local IPs will
#\t   be set to the given one. You MUST still give at least one remote
#\t   IP for each simultaneous client.
#
# (Recommended)
#localip 192.168.0.1
#remoteip 192.168.0.234-238,192.168.0.245
# or
#localip 192.168.0.234-238,192.168.0.245
#remoteip 192.168.1.234-238,192.168.1.245
";

#[test]
fn debian_default_file_sets_option_and_logwtmp_only() {
    let (file, warnings) = parse(DEBIAN_CONF);
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        file,
        FileSettings {
            option: Some(Located {
                value: "/etc/ppp/pptpd-options".into(),
                line: 18
            }),
            logwtmp: true,
            ..FileSettings::default()
        }
    );
    let (config, warnings) = merged_ok(&ServerOptions::default(), DEBIAN_CONF);
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        config,
        ServerConfig {
            option_file: Some("/etc/ppp/pptpd-options".into()),
            logwtmp: true,
            ..defaults()
        }
    );
}

#[test]
fn arch_wiki_example() {
    let text = "option /etc/ppp/options.pptpd\n\
                logwtmp\n\
                localip 172.16.36.1\n\
                remoteip 172.16.36.2-254\n";
    let (config, warnings) = merged_ok(&ServerOptions::default(), text);
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        config,
        ServerConfig {
            option_file: Some("/etc/ppp/options.pptpd".into()),
            logwtmp: true,
            local_ips: vec![ip(172, 16, 36, 1)],
            remote_ips: (2..=254).map(|d| ip(172, 16, 36, d)).collect(),
            ..defaults()
        }
    );
}

// ==== Directives ====

#[test]
fn every_directive() {
    let text = "option /etc/ppp/opts\n\
                debug\n\
                stimeout 3\n\
                noipparam\n\
                logwtmp\n\
                bcrelay eth1\n\
                delegate\n\
                connections 7\n\
                localip 10.0.0.1\n\
                remoteip 10.0.0.2-4\n\
                listen 192.0.2.1\n\
                pidfile /run/pptpd.pid\n\
                speed 9600\n\
                ppp /opt/pppd\n\
                vrf blue\n";
    let (file, warnings) = parse(text);
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        file,
        FileSettings {
            option: Some(Located {
                value: "/etc/ppp/opts".into(),
                line: 1
            }),
            debug: true,
            stimeout: Some(Duration::from_secs(3)),
            noipparam: true,
            logwtmp: true,
            bcrelay: Some("eth1".into()),
            delegate: true,
            connections: Some(7),
            localip: Some(Located {
                value: vec![IpItem::Addrs(vec![ip(10, 0, 0, 1)])],
                line: 9
            }),
            remoteip: Some(Located {
                value: vec![IpItem::Addrs(ten(2..=4))],
                line: 10
            }),
            listen: Some(Located {
                value: "192.0.2.1".into(),
                line: 11
            }),
            pidfile: Some("/run/pptpd.pid".into()),
            speed: Some("9600".into()),
            ppp: Some(Located {
                value: "/opt/pppd".into(),
                line: 14
            }),
            vrf: Some("blue".into()),
        }
    );
}

#[test]
fn values_are_the_rest_of_the_line_with_blanks_trimmed() {
    let (file, _) = parse("speed \t 115200 extra\t \npidfile /var/run/my pid.pid  \n");
    assert_eq!(file.speed, Some("115200 extra".into()));
    assert_eq!(file.pidfile, Some("/var/run/my pid.pid".into()));
    let (file, _) = parse("speed\t57600");
    assert_eq!(file.speed, Some("57600".into()));
}

#[test]
fn comments_blank_lines_and_indentation() {
    let text = "# comment\n\n   \n\t# indented comment\n  debug\n\tspeed 9600\n#logwtmp\n";
    let (file, warnings) = parse(text);
    assert_eq!(warnings, Vec::<String>::new());
    assert!(file.debug && !file.logwtmp);
    assert_eq!(file.speed, Some("9600".into()));
}

#[test]
fn trailing_comment_after_a_blank_is_a_comment_and_warned_once() {
    let text = "localip 10.0.0.1 # office\nremoteip 10.0.0.2-3\t#clients\nlogwtmp # on\n";
    let (file, warnings) = parse(text);
    assert_eq!(
        file.localip.map(|l| l.value),
        Some(vec![IpItem::Addrs(ten(1..=1))])
    );
    assert_eq!(
        file.remoteip.map(|l| l.value),
        Some(vec![IpItem::Addrs(ten(2..=3))])
    );
    assert!(file.logwtmp);
    assert_eq!(
        warnings,
        [
            "pptpd: /etc/pptpd.conf:1: '# office' read as a comment; poptop made it part of the \
          value (warned once per file)"
        ]
    );
}

#[test]
fn hash_without_a_blank_before_it_stays_in_the_value() {
    let (file, warnings) = parse("option /etc/ppp/options#2\npidfile /run/a#b # c\n");
    assert_eq!(
        file.option.map(|o| o.value),
        Some("/etc/ppp/options#2".into())
    );
    assert_eq!(file.pidfile, Some("/run/a#b".into()));
    assert_eq!(warnings.len(), 1);
}

#[test]
fn first_occurrence_wins_and_later_ones_are_warned_not_checked() {
    let text = "connections 5\nspeed 1\nconnections 9\ndebug\ndebug\nconnections zero\n";
    let (file, warnings) = parse(text);
    assert_eq!(file.connections, Some(5));
    assert_eq!(
        warnings,
        [
            "pptpd: /etc/pptpd.conf:3: 'connections' repeated: ignored, the one on line 1 applies",
            "pptpd: /etc/pptpd.conf:5: 'debug' repeated: ignored, the one on line 4 applies",
            "pptpd: /etc/pptpd.conf:6: 'connections' repeated: ignored, the one on line 1 applies",
        ]
    );
}

#[test]
fn unknown_keywords_are_warned_with_a_case_hint() {
    let (file, warnings) = parse("foo bar\nLocalip 10.0.0.1\nDEBUG\nlocalip=10.0.0.1\n");
    assert_eq!(file, FileSettings::default());
    assert_eq!(
        warnings,
        [
            "pptpd: /etc/pptpd.conf:1: unknown keyword 'foo' ignored",
            "pptpd: /etc/pptpd.conf:2: unknown keyword 'Localip' ignored (keywords are \
             case-sensitive: did you mean 'localip'?)",
            "pptpd: /etc/pptpd.conf:3: unknown keyword 'DEBUG' ignored (keywords are \
             case-sensitive: did you mean 'debug'?)",
            "pptpd: /etc/pptpd.conf:4: unknown keyword 'localip=10.0.0.1' ignored",
        ]
    );
}

#[test]
fn flags_with_a_value_warn_that_it_is_ignored() {
    let (file, warnings) = parse("debug yes\ndelegate 1\nnoipparam\n");
    assert!(file.debug && file.delegate && file.noipparam);
    assert_eq!(
        warnings,
        [
            "pptpd: /etc/pptpd.conf:1: 'debug' takes no value: 'yes' ignored",
            "pptpd: /etc/pptpd.conf:2: 'delegate' takes no value: '1' ignored",
        ]
    );
}

#[test]
fn long_lines_crlf_and_a_missing_final_newline() {
    // poptop skipped lines of 510 bytes or more.
    let list: Vec<String> = (1..=200).map(|d| format!("10.0.1.{d}")).collect();
    let text = format!("remoteip {}\r\nspeed 9600\r\nlogwtmp", list.join(","));
    assert!(text.len() > 2000);
    let (file, warnings) = parse(&text);
    assert!(warnings.is_empty());
    let items = file.remoteip.map(|l| l.value.len());
    assert_eq!(items, Some(200));
    assert_eq!(file.speed, Some("9600".into()));
    assert!(file.logwtmp);
}

#[test]
fn value_errors_name_file_and_line() {
    for (text, message) in [
        (
            "\nconnections 0",
            "pptpd: /etc/pptpd.conf:2: bad connections: 0 is out of range: must be positive",
        ),
        (
            "connections abc",
            "pptpd: /etc/pptpd.conf:1: bad connections: 'abc' is not an integer",
        ),
        (
            "connections -1",
            "pptpd: /etc/pptpd.conf:1: bad connections: -1 is out of range: must be positive",
        ),
        (
            "connections 3000000000",
            "pptpd: /etc/pptpd.conf:1: bad connections: 3000000000 is out of range: must be at most 2147483647",
        ),
        (
            "stimeout 0",
            "pptpd: /etc/pptpd.conf:1: bad stimeout: 0 is out of range: must be positive",
        ),
        (
            "stimeout 2s",
            "pptpd: /etc/pptpd.conf:1: bad stimeout: '2s' is not an integer",
        ),
        ("speed", "pptpd: /etc/pptpd.conf:1: 'speed' needs a value"),
        (
            "option   \t",
            "pptpd: /etc/pptpd.conf:1: 'option' needs a value",
        ),
        (
            "localip # nothing",
            "pptpd: /etc/pptpd.conf:1: 'localip' needs a value",
        ),
        (
            "listen 10.0.0.256",
            "pptpd: /etc/pptpd.conf:1: bad listen address '10.0.0.256': octet 256 > 255",
        ),
        (
            "listen 10.0.0.1-2",
            "pptpd: /etc/pptpd.conf:1: bad listen address '10.0.0.1-2': a range is not a single address",
        ),
        (
            "listen 10.0.0.0/8",
            "pptpd: /etc/pptpd.conf:1: bad listen address '10.0.0.0/8': not an IPv4 address, range or host name; CIDR prefixes are not supported, write a range",
        ),
    ] {
        assert_eq!(parse_err(text), message, "{text:?}");
    }
}

#[test]
fn listen_takes_an_address_or_a_host_name() {
    let (file, _) = parse("listen vpn.example\n");
    assert_eq!(file.listen.map(|l| l.value), Some("vpn.example".into()));
    let (config, _) = merged_ok(&ServerOptions::default(), "listen vpn.example\n");
    assert_eq!(config.listen, Some(ip(198, 51, 100, 11)));
    let e = merged(&ServerOptions::default(), "\nlisten nowhere\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "pptpd: /etc/pptpd.conf:2: bad listen address 'nowhere': cannot resolve host name: \
         no such host 'nowhere'"
    );
}

// ==== Address lists ====

fn list(spec: &str) -> Vec<Ipv4Addr> {
    let items = parse_ip_list(spec).unwrap_or_else(|e| panic!("{spec}: {e:?}"));
    expand(&items, fake_resolve).unwrap_or_else(|e| panic!("{spec}: {e:?}"))
}

#[test]
fn address_list_forms() {
    assert_eq!(list("10.0.0.1"), ten(1..=1));
    assert_eq!(list("10.0.0.1-3"), ten(1..=3));
    assert_eq!(list("10.0.0.7-7"), ten(7..=7));
    // poptop's range in an earlier octet counts that octet only.
    assert_eq!(
        list("192.168.1-3.5"),
        [ip(192, 168, 1, 5), ip(192, 168, 2, 5), ip(192, 168, 3, 5)]
    );
    assert_eq!(list("10.1-2.0.9"), [ip(10, 1, 0, 9), ip(10, 2, 0, 9)]);
    assert_eq!(
        list("1-3.0.0.1"),
        [ip(1, 0, 0, 1), ip(2, 0, 0, 1), ip(3, 0, 0, 1)]
    );
    // Our full form: consecutive addresses, across octets.
    assert_eq!(
        list("10.0.0.254-10.0.1.1"),
        [
            ip(10, 0, 0, 254),
            ip(10, 0, 0, 255),
            ip(10, 0, 1, 0),
            ip(10, 0, 1, 1)
        ]
    );
    assert_eq!(list("10.0.0.5-10.0.0.5"), ten(5..=5));
    // Lists, in order, with optional spaces around commas, and host names.
    assert_eq!(
        list("192.168.0.234,192.168.0.245-249,192.168.0.254"),
        [234, 245, 246, 247, 248, 249, 254].map(|d| ip(192, 168, 0, d))
    );
    assert_eq!(
        list("10.0.0.3 , 10.0.0.1,\t10.0.0.2"),
        [3, 1, 2].map(|d| ip(10, 0, 0, d))
    );
    assert_eq!(
        list("gw.example,10.0.0.1"),
        [ip(203, 0, 113, 1), ip(10, 0, 0, 1)]
    );
    assert_eq!(list("vpn-1.example"), [ip(198, 51, 100, 13)]);
    assert_eq!(list("0.0.0.0-2"), [0, 1, 2].map(|d| ip(0, 0, 0, d)));
    assert_eq!(list("255.255.255.255"), [Ipv4Addr::BROADCAST]);
    // The largest full range.
    assert_eq!(list("10.0.0.0-10.0.255.255").len(), 65536);
}

#[test]
fn host_names_stay_unresolved_in_parse_str() {
    assert_eq!(
        parse_ip_list("gw.example, 10.0.0.1-2"),
        Ok(vec![
            IpItem::Host("gw.example".into()),
            IpItem::Addrs(ten(1..=2))
        ])
    );
}

#[test]
fn address_list_errors_name_file_line_item_and_reason() {
    for (spec, item, why) in [
        ("10.0.0.300", "10.0.0.300", "octet 300 > 255"),
        ("10.0.0.1,10.0.0.1000", "10.0.0.1000", "octet 1000 > 255"),
        (
            "10.0.0.9-5",
            "10.0.0.9-5",
            "range end 5 is below its start 9",
        ),
        (
            "10.0.5-1.1",
            "10.0.5-1.1",
            "range end 1 is below its start 5",
        ),
        ("10.0.0.1-300", "10.0.0.1-300", "octet 300 > 255"),
        ("10.0.0.1-2-3", "10.0.0.1-2-3", "more than one '-'"),
        ("10.0.0.1,,10.0.0.2", "", "empty item"),
        ("10.0.0.1,", "", "empty item"),
        (",10.0.0.1", "", "empty item"),
        ("10.0.0", "10.0.0", "'10.0.0' is not a dotted quad a.b.c.d"),
        (
            "10.0.0.1.2",
            "10.0.0.1.2",
            "'10.0.0.1.2' is not a dotted quad a.b.c.d",
        ),
        ("10..0.1", "10..0.1", "empty octet"),
        ("10.0.0.-5", "10.0.0.-5", "empty octet"),
        (
            "10.0.0.010",
            "10.0.0.010",
            "octet '010' has a leading zero (octal for inet_addr); write it in decimal",
        ),
        (
            "10.0.0.1-2.5",
            "10.0.0.1-2.5",
            "a range is a.b.c.d-e (the dash inside one octet) or a.b.c.d-a.b.c.e",
        ),
        (
            "10.0.0.9-10.0.0.1",
            "10.0.0.9-10.0.0.1",
            "range end 10.0.0.1 is below its start 10.0.0.9",
        ),
        (
            "10.0.0.0-10.1.0.0",
            "10.0.0.0-10.1.0.0",
            "range has 65537 addresses; the limit is 65536",
        ),
        (
            "10.0.0.0/24",
            "10.0.0.0/24",
            "not an IPv4 address, range or host name; CIDR prefixes are not supported, write a range",
        ),
        (
            "10.0.0.1 10.0.0.2",
            "10.0.0.1 10.0.0.2",
            "not an IPv4 address, range or host name",
        ),
    ] {
        let text = format!("# addresses\nremoteip {spec}\n");
        assert_eq!(
            parse_err(&text),
            format!("pptpd: /etc/pptpd.conf:2: bad remoteip item '{item}': {why}"),
            "{spec}"
        );
    }
    let long = format!("{}.example", "a".repeat(250));
    assert_eq!(
        parse_err(&format!("localip {long}")),
        format!(
            "pptpd: /etc/pptpd.conf:1: bad localip item '{long}': host name longer than 253 characters"
        )
    );
}

#[test]
fn unresolvable_hosts_and_duplicate_remotes_fail_at_load_with_the_line() {
    let opts = ServerOptions::default();
    let e = merged(&opts, "\n\nremoteip 10.0.0.1,nowhere\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "pptpd: /etc/pptpd.conf:3: bad remoteip item 'nowhere': cannot resolve host name: \
         no such host 'nowhere'"
    );
    assert_eq!(
        (e.file.as_deref(), e.line),
        (Some(Path::new(CONF)), Some(3))
    );
    let e = merged(&opts, "localip 10.0.0.1\nremoteip 10.0.0.2-9,10.0.0.5\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "pptpd: /etc/pptpd.conf:2: remoteip lists 10.0.0.5 more than once; each client needs \
         its own address"
    );
    // A host name that resolves to a listed address is a duplicate too.
    let e = merged(&opts, "remoteip 203.0.113.1,gw.example\n").unwrap_err();
    assert_eq!(e.line, Some(1));
    // Local duplicates are fine.
    let (config, _) = merged_ok(&opts, "localip 10.0.0.1,10.0.0.1\nremoteip 10.0.0.2-3\n");
    assert_eq!(config.local_ips, [ip(10, 0, 0, 1), ip(10, 0, 0, 1)]);
}

#[test]
fn default_lists_apply_when_absent() {
    let (config, _) = merged_ok(&ServerOptions::default(), "remoteip 10.0.0.2-3\n");
    assert_eq!(config.remote_ips, ten(2..=3));
    assert_eq!(config.local_ips, defaults().local_ips);
    assert_eq!(list(DEFAULT_LOCAL_IPS), defaults().local_ips);
    assert_eq!(list(DEFAULT_REMOTE_IPS), defaults().remote_ips);
}

#[test]
fn delegate_drops_the_lists_with_a_warning() {
    let (config, warnings) = merged_ok(&ServerOptions::default(), "delegate\nremoteip nowhere\n");
    assert!(config.delegate);
    assert!(config.local_ips.is_empty() && config.remote_ips.is_empty());
    assert_eq!(
        warnings,
        ["pptpd: localip and remoteip are ignored with delegate: pppd assigns the addresses"]
    );
    let opts = ServerOptions {
        delegate: true,
        ..Default::default()
    };
    let (config, warnings) = merged_ok(&opts, "");
    assert!(config.delegate && config.remote_ips.is_empty());
    assert!(warnings.is_empty());
}

// ==== Merging with the command line ====

#[test]
fn command_line_overrides_the_file_for_every_setting() {
    let text = "option /etc/ppp/file-opts\nstimeout 3\nbcrelay eth1\nconnections 7\n\
                listen 192.0.2.1\npidfile /run/file.pid\nspeed 9600\nppp /opt/file-pppd\n\
                vrf blue\n";
    let opts = ServerOptions {
        option: Some("/etc/ppp/cli-opts".into()),
        stimeout: Some(Duration::from_secs(20)),
        bcrelay: Some("eth2".into()),
        connections: Some(5),
        listen: Some("192.0.2.2".into()),
        pidfile: Some("/run/cli.pid".into()),
        speed: Some("38400".into()),
        ppp: Some("/opt/cli-pppd".into()),
        vrf: Some("red".into()),
        ..Default::default()
    };
    let (config, _) = merged_ok(&opts, text);
    assert_eq!(config.option_file, Some("/etc/ppp/cli-opts".into()));
    // poptop: the file's connections beat -C, and the file's stimeout was never read.
    assert_eq!(config.connections, 5);
    assert_eq!(config.stimeout, Duration::from_secs(20));
    assert_eq!(config.bcrelay, Some("eth2".into()));
    assert_eq!(config.listen, Some(ip(192, 0, 2, 2)));
    assert_eq!(config.pidfile, PathBuf::from("/run/cli.pid"));
    assert_eq!(config.speed, "38400");
    assert_eq!(config.ppp, PathBuf::from("/opt/cli-pppd"));
    assert_eq!(config.vrf, Some("red".into()));
}

#[test]
fn the_file_applies_where_the_command_line_is_silent() {
    let (config, _) = merged_ok(&ServerOptions::default(), "connections 7\nstimeout 3\n");
    assert_eq!(config.connections, 7);
    assert_eq!(config.stimeout, Duration::from_secs(3));
}

#[test]
fn flags_from_either_source() {
    let opts = ServerOptions {
        debug: true,
        logwtmp: true,
        ..Default::default()
    };
    let (config, _) = merged_ok(&opts, "noipparam\n");
    assert!(config.debug && config.logwtmp && config.noipparam && !config.delegate);
}

#[test]
fn bcrelay_and_vrf_warn_that_they_are_not_supported() {
    let bcrelay =
        "pptpd: bcrelay is not supported yet by pptp-rs pptpd; broadcasts will not be relayed";
    let vrf = "pptpd: vrf is not supported yet by pptp-rs pptpd; sockets stay in the default VRF";
    let (config, warnings) = merged_ok(&ServerOptions::default(), "bcrelay eth1\nvrf blue\n");
    assert_eq!(config.bcrelay, Some("eth1".into()));
    assert_eq!(config.vrf, Some("blue".into()));
    assert_eq!(warnings, [bcrelay, vrf]);
    let opts = ServerOptions {
        bcrelay: Some("br0".into()),
        vrf: Some("red".into()),
        ..Default::default()
    };
    let (_, warnings) = merged_ok(&opts, "bcrelay eth1\n");
    assert_eq!(warnings, [bcrelay, vrf]);
}

#[test]
fn command_line_listen_that_does_not_resolve_names_the_option() {
    let opts = ServerOptions {
        listen: Some("nowhere".into()),
        ..Default::default()
    };
    let e = merged(&opts, "").unwrap_err();
    assert_eq!((e.file.clone(), e.line), (None, None));
    assert_eq!(
        e.to_string(),
        "pptpd: --listen: invalid listening address 'nowhere': cannot resolve host name: no \
         such host 'nowhere'"
    );
}

// ==== Loading files ====

/// An executable stand-in for pppd and a readable options file in `dir`.
fn ppp_and_options(dir: &Scratch) -> (PathBuf, PathBuf) {
    let ppp = dir.file("pppd", "#!/bin/sh\n");
    fs::set_permissions(&ppp, fs::Permissions::from_mode(0o755)).expect("chmod");
    (ppp, dir.file("options", "lock\n"))
}

#[test]
fn load_reads_the_conf_file_and_checks_the_named_files() {
    let dir = Scratch::new("load");
    let (ppp, options) = ppp_and_options(&dir);
    let text = format!(
        "option {}\nppp {}\nremoteip 10.0.0.2-3\nlocalip localhost\n",
        options.display(),
        ppp.display()
    );
    let conf = dir.file("pptpd.conf", &text);
    let opts = ServerOptions {
        conf: Some(conf.clone()),
        ..Default::default()
    };
    let (config, warnings) = load(&opts).expect("load");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.conf_file, conf);
    assert_eq!(config.option_file, Some(options));
    assert_eq!(config.ppp, ppp);
    // The system resolver, through /etc/hosts.
    assert_eq!(config.local_ips, [Ipv4Addr::LOCALHOST]);
}

#[test]
fn missing_default_file_warns_and_uses_the_defaults() {
    let dir = Scratch::new("nodefault");
    let missing = dir.0.join("pptpd.conf");
    let (config, warnings) =
        load_with(&ServerOptions::default(), &missing, &fake_resolve, false).expect("load");
    assert_eq!(
        config,
        ServerConfig {
            conf_file: missing.clone(),
            ..defaults()
        }
    );
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with(&format!("pptpd: {}: No such file", missing.display())),
        "{warnings:?}"
    );
    assert!(warnings[0].ends_with("; using the built-in defaults"));
}

#[test]
fn missing_or_unreadable_conf_file_is_an_error() {
    let dir = Scratch::new("noconf");
    let missing = dir.0.join("nope.conf");
    let opts = ServerOptions {
        conf: Some(missing.clone()),
        ..Default::default()
    };
    let e = load(&opts).unwrap_err();
    assert_eq!((e.file.as_deref(), e.line), (Some(missing.as_path()), None));
    assert!(
        e.message
            .starts_with("cannot read the config file: No such file"),
        "{e}"
    );
    // A directory where the default file should be is not "missing".
    let e = load_with(&ServerOptions::default(), &dir.0, &fake_resolve, false).unwrap_err();
    assert!(e.message.starts_with("cannot read the config file"), "{e}");
    // Not UTF-8.
    let bad = dir.0.join("latin1.conf");
    fs::write(&bad, b"speed 9600 \xe9\n").expect("write");
    let opts = ServerOptions {
        conf: Some(bad),
        ..Default::default()
    };
    assert!(
        load(&opts)
            .unwrap_err()
            .message
            .starts_with("not valid UTF-8")
    );
}

#[test]
fn ppp_and_option_file_checks_blame_their_origin() {
    let dir = Scratch::new("checks");
    let (ppp, options) = ppp_and_options(&dir);
    let missing = dir.0.join("missing");
    let plain = dir.file("plain", "");
    fs::set_permissions(&plain, fs::Permissions::from_mode(0o644)).expect("chmod");

    // From the file: file and line.
    let conf = dir.file(
        "a.conf",
        &format!("\noption {}\nppp {}\n", missing.display(), ppp.display()),
    );
    let opts = ServerOptions {
        conf: Some(conf.clone()),
        ..Default::default()
    };
    let e = load(&opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "pptpd: {}:2: PPP options file {} is not readable: No such file or directory (os error 2)",
            conf.display(),
            missing.display()
        )
    );
    let conf = dir.file("b.conf", &format!("ppp {}\n", plain.display()));
    let opts = ServerOptions {
        conf: Some(conf.clone()),
        ..Default::default()
    };
    let e = load(&opts).unwrap_err();
    assert_eq!((e.line, e.file.as_deref()), (Some(1), Some(conf.as_path())));
    assert!(
        e.message
            .starts_with(&format!("PPP binary {} is not executable", plain.display())),
        "{e}"
    );

    // From the command line: the option, which overrides the file's good values.
    let conf = dir.file(
        "c.conf",
        &format!("option {}\nppp {}\n", options.display(), ppp.display()),
    );
    let opts = ServerOptions {
        conf: Some(conf.clone()),
        ppp: Some(dir.0.clone()),
        ..Default::default()
    };
    let e = load(&opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "pptpd: --ppp: PPP binary {} is not executable: it is a directory",
            dir.0.display()
        )
    );
    let opts = ServerOptions {
        conf: Some(conf),
        option: Some(missing.clone()),
        ..Default::default()
    };
    let e = load(&opts).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "pptpd: --option: PPP options file {}",
            missing.display()
        )),
        "{e}"
    );
}

#[test]
fn config_error_display_forms() {
    let e = ConfigError {
        file: Some(CONF.into()),
        line: Some(12),
        message: "bad remoteip item '10.0.0.300': octet 300 > 255".into(),
    };
    assert_eq!(
        e.to_string(),
        "pptpd: /etc/pptpd.conf:12: bad remoteip item '10.0.0.300': octet 300 > 255"
    );
    let e = ConfigError { line: None, ..e };
    assert_eq!(
        e.to_string(),
        "pptpd: /etc/pptpd.conf: bad remoteip item '10.0.0.300': octet 300 > 255"
    );
    let e = ConfigError { file: None, ..e };
    assert_eq!(
        e.to_string(),
        "pptpd: bad remoteip item '10.0.0.300': octet 300 > 255"
    );
}
