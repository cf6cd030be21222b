//! pptpd.conf line syntax and every directive's value checks.

use super::*;

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
                vrf blue\n\
                control-socket /run/x/ctl\n\
                metrics 127.0.0.1:9723\n\
                hosts-allow none\n\
                hosts-deny /etc/pptpd.deny\n\
                connections-per-source 4\n\
                connect-rate 5/60\n\
                single-session replace\n";
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
            control_socket: Some(Some("/run/x/ctl".into())),
            metrics: Some("127.0.0.1:9723".parse().unwrap()),
            dae: FileDae::default(),
            hosts_allow: Some(None),
            hosts_deny: Some(Some("/etc/pptpd.deny".into())),
            connections_per_source: Some(4),
            connect_rate: Some(Rate {
                count: 5,
                per: Duration::from_secs(60)
            }),
            single_session: Some(SingleSession::Replace),
        }
    );
}

#[test]
fn access_and_limit_values_are_checked_with_their_line() {
    for (text, why) in [
        (
            "hosts-allow etc/hosts.allow",
            "2: bad hosts-allow 'etc/hosts.allow': an absolute path",
        ),
        ("hosts-deny -", "2: bad hosts-deny '-'"),
        (
            "connect-rate 5",
            "2: bad connect-rate '5': no '/'; write N/SECONDS, e.g. 5/60",
        ),
        ("connect-rate 0/60", "2: bad connect-rate '0/60': N "),
        ("connect-rate 5/0", "2: bad connect-rate '5/0': SECONDS "),
        ("connect-rate 5/86401", "SECONDS "),
        ("connect-rate x/y", "is not an integer"),
        ("connections-per-source 0", "2: bad connections-per-source"),
        (
            "single-session yes",
            "2: bad single-session 'yes': deny or replace",
        ),
    ] {
        let e = parse_err(&format!("# limits\n{text}\n"));
        assert!(e.contains(why), "{text}: {e}");
        assert!(e.starts_with("pptpd: /etc/pptpd.conf:2: "), "{text}: {e}");
    }
    assert_eq!(
        parse("single-session deny").0.single_session,
        Some(SingleSession::Deny)
    );
    assert_eq!(
        parse("connect-rate 10 / 1").0.connect_rate,
        Some(Rate {
            count: 10,
            per: Duration::from_secs(1)
        })
    );
}

#[test]
fn control_socket_is_a_path_or_none() {
    assert_eq!(parse("control-socket none").0.control_socket, Some(None));
    let e = parse_str("control-socket run/ctl\n", Path::new(CONF)).unwrap_err();
    assert!(e.to_string().contains("absolute path"), "{e}");
    let e = parse_str("metrics localhost\n", Path::new(CONF)).unwrap_err();
    assert!(e.to_string().contains("ADDRESS:PORT"), "{e}");
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
