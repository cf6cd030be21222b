//! localip/remoteip lists: forms, errors, defaults, delegate.

use super::*;

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
