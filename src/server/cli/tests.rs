use super::*;

use crate::getopt::testing::{parsed, refused};

fn ok(args: &[&str]) -> ServerOptions {
    parsed(args, parse)
}

fn err(args: &[&str]) -> CliError {
    refused(args, parse)
}

#[test]
fn empty_command_line_sets_nothing() {
    assert_eq!(ok(&[]), ServerOptions::default());
}

type Expect = fn(&mut ServerOptions);

/// Options with a value: short letter, long name, value, effect.
const VALUED: &[(char, &str, &str, Expect)] = &[
    ('b', "bcrelay", "eth1", |o| o.bcrelay = Some("eth1".into())),
    ('c', "conf", "/tmp/p.conf", |o| {
        o.conf = Some("/tmp/p.conf".into())
    }),
    ('e', "ppp", "/opt/pppd", |o| {
        o.ppp = Some("/opt/pppd".into())
    }),
    ('l', "listen", "192.0.2.1", |o| {
        o.listen = Some("192.0.2.1".into())
    }),
    ('l', "listen", "vpn.example.org", |o| {
        o.listen = Some("vpn.example.org".into())
    }),
    ('o', "option", "/etc/ppp/pptpd-options", |o| {
        o.option = Some("/etc/ppp/pptpd-options".into())
    }),
    ('p', "pidfile", "/run/p.pid", |o| {
        o.pidfile = Some("/run/p.pid".into())
    }),
    ('s', "speed", "38400", |o| o.speed = Some("38400".into())),
    ('t', "stimeout", "3", |o| {
        o.stimeout = Some(Duration::from_secs(3))
    }),
    ('t', "stimeout", "2147483647", |o| {
        o.stimeout = Some(Duration::from_secs(2147483647))
    }),
    ('C', "connections", "1", |o| o.connections = Some(1)),
    ('C', "connections", "250", |o| o.connections = Some(250)),
    ('V', "vrf", "blue", |o| o.vrf = Some("blue".into())),
];

#[test]
fn every_valued_option_in_every_form() {
    for &(short, long, value, expect) in VALUED {
        let mut want = ServerOptions::default();
        expect(&mut want);
        let forms = [
            vec![format!("-{short}"), value.to_owned()],
            vec![format!("-{short}{value}")],
            vec![format!("--{long}"), value.to_owned()],
            vec![format!("--{long}={value}")],
        ];
        for form in forms {
            let got = parse(&form).unwrap_or_else(|e| panic!("{form:?}: {e}"));
            assert_eq!(got, want, "{form:?}");
        }
    }
}

/// Flags: short letter, long name, effect.
const FLAGS: &[(char, &str, Expect)] = &[
    ('d', "debug", |o| o.debug = true),
    ('f', "fg", |o| o.fg = true),
    ('h', "help", |o| o.help = true),
    ('i', "noipparam", |o| o.noipparam = true),
    ('v', "version", |o| o.version = true),
    ('w', "logwtmp", |o| o.logwtmp = true),
    ('D', "delegate", |o| o.delegate = true),
];

#[test]
fn every_flag_short_and_long() {
    for &(short, long, expect) in FLAGS {
        let mut want = ServerOptions::default();
        expect(&mut want);
        assert_eq!(ok(&[&format!("-{short}")]), want, "-{short}");
        assert_eq!(ok(&[&format!("--{long}")]), want, "--{long}");
    }
}

#[test]
fn every_option_in_the_table_is_tested_and_in_usage() {
    let text = usage();
    for spec in SPECS {
        let tested =
            VALUED.iter().any(|v| v.1 == spec.name) || FLAGS.iter().any(|f| f.1 == spec.name);
        assert!(tested, "--{} untested", spec.name);
        assert!(
            text.contains(&format!("-{}, --{}", spec.short.unwrap(), spec.name)),
            "--{} not in usage",
            spec.name
        );
    }
    // poptop's getopt string, plus V for --vrf.
    let shorts: String = SPECS.iter().filter_map(|s| s.short).collect();
    assert_eq!(shorts, "bcdefhilopstvwCDV");
}

#[test]
fn usage_has_one_line_per_option_within_eighty_columns() {
    let text = usage();
    let option_lines = text.lines().filter(|l| l.starts_with("  -")).count();
    assert_eq!(option_lines, SPECS.len());
    for line in text.lines() {
        assert!(line.len() <= 80, "too long: {line}");
    }
}

#[test]
fn flags_bundle_and_a_value_may_end_the_bundle() {
    let o = ok(&["-fdw"]);
    assert!(o.fg && o.debug && o.logwtmp);
    let o = ok(&["-fdo", "/etc/opts"]);
    assert!(o.fg && o.debug);
    assert_eq!(o.option, Some("/etc/opts".into()));
    let o = ok(&["-fo/etc/opts"]);
    assert!(o.fg);
    assert_eq!(o.option, Some("/etc/opts".into()));
    // Everything after a letter that takes a value is that value.
    let o = ok(&["-ofd"]);
    assert_eq!(o.option, Some("fd".into()));
    assert!(!o.fg && !o.debug);
}

#[test]
fn unambiguous_long_prefixes_expand() {
    assert_eq!(ok(&["--conn", "5"]).connections, Some(5));
    assert_eq!(ok(&["--conn=5"]).connections, Some(5));
    assert!(ok(&["--deb"]).debug);
    assert!(ok(&["--dele"]).delegate);
    assert_eq!(ok(&["--st", "4"]).stimeout, Some(Duration::from_secs(4)));
    assert_eq!(ok(&["--vr", "red"]).vrf, Some("red".into()));
    assert!(ok(&["--ver"]).version);
    assert_eq!(ok(&["--b", "eth0"]).bcrelay, Some("eth0".into()));
    // An exact name wins over a longer option it is a prefix of.
    assert_eq!(ok(&["--conf", "x"]).conf, Some("x".into()));
}

#[test]
fn ambiguous_prefixes_are_usage_errors_naming_the_candidates() {
    for (arg, names) in [
        ("--con", "'--conf' '--connections'"),
        ("--d", "'--debug' '--delegate'"),
        ("--p", "'--ppp' '--pidfile'"),
        ("--s", "'--speed' '--stimeout'"),
        ("--l", "'--listen' '--logwtmp'"),
        ("--v", "'--version' '--vrf'"),
    ] {
        let e = err(&[arg, "x"]);
        assert_eq!(e.exit_code, EXIT_USAGE, "{arg}");
        assert_eq!(
            e.message,
            format!("option '{arg}' is ambiguous; possibilities: {names}")
        );
    }
}

#[test]
fn unknown_options_are_usage_errors_in_gnu_wording() {
    let e = err(&["--bogus"]);
    assert_eq!(
        (e.exit_code, e.message.as_str()),
        (1, "unrecognized option '--bogus'")
    );
    let e = err(&["-x"]);
    assert_eq!(
        (e.exit_code, e.message.as_str()),
        (1, "invalid option -- 'x'")
    );
    let e = err(&["-fx"]);
    assert_eq!(e.message, "invalid option -- 'x'");
    assert!(e.is_usage_error());
    // No -P, -S...: the short letters are case-sensitive.
    assert_eq!(err(&["-P"]).exit_code, EXIT_USAGE);
    assert_eq!(ok(&["--"]), ServerOptions::default());
}

#[test]
fn missing_arguments_and_flag_values_are_usage_errors() {
    let e = err(&["-c"]);
    assert_eq!(
        (e.exit_code, e.message.as_str()),
        (1, "option '-c' requires an argument")
    );
    let e = err(&["--conf"]);
    assert_eq!(e.message, "option '--conf' requires an argument");
    let e = err(&["--conn"]);
    assert_eq!(e.message, "option '--connections' requires an argument");
    let e = err(&["--debug=yes"]);
    assert_eq!(
        (e.exit_code, e.message.as_str()),
        (1, "option '--debug' doesn't allow an argument")
    );
}

#[test]
fn positional_arguments_are_refused() {
    // poptop ignores them; see parse().
    for args in [&["extra"][..], &["-f", "extra"], &["--", "-d"], &["-"]] {
        let e = err(args);
        assert_eq!(e.exit_code, EXIT_USAGE, "{args:?}");
        assert!(
            e.message.starts_with("unexpected argument"),
            "{}",
            e.message
        );
    }
    assert_eq!(
        ok(&["-f", "--"]),
        ServerOptions {
            fg: true,
            ..Default::default()
        }
    );
}

#[test]
fn the_value_of_an_option_is_taken_whatever_it_looks_like() {
    assert_eq!(ok(&["-o", "--debug"]).option, Some("--debug".into()));
    assert_eq!(ok(&["--option", "-d"]).option, Some("-d".into()));
    assert_eq!(ok(&["-fo", "--deb"]).option, Some("--deb".into()));
    // Not expanded, and not taken for an unknown option.
    assert_eq!(ok(&["-p", "--bogus"]).pidfile, Some("--bogus".into()));
    assert_eq!(ok(&["-b", "-x"]).bcrelay, Some("-x".into()));
}

#[test]
fn repeated_options_last_one_wins() {
    let o = ok(&["-C", "5", "--connections=7", "-c", "a", "--conf", "b"]);
    assert_eq!(o.connections, Some(7));
    assert_eq!(o.conf, Some("b".into()));
    assert!(ok(&["-d", "-d"]).debug);
}

#[test]
fn help_and_version_keep_the_first_like_poptop() {
    let o = ok(&["-h", "-v"]);
    assert!(o.help && !o.version);
    let o = ok(&["--version", "--help"]);
    assert!(!o.help && o.version);
    let o = ok(&["-hv"]);
    assert!(o.help && !o.version);
}

#[test]
fn bad_values_exit_2_naming_the_option() {
    for (args, message) in [
        (
            &["-C", "0"][..],
            "--connections: 0 is out of range: must be positive",
        ),
        (&["-C", "abc"], "--connections: 'abc' is not an integer"),
        (
            &["-C", "-3"],
            "--connections: -3 is out of range: must be positive",
        ),
        (&["-C", "5x"], "--connections: '5x' is not an integer"),
        (&["-C", ""], "--connections: '' is not an integer"),
        (
            &["-C", "2147483648"],
            "--connections: 2147483648 is out of range: must be at most 2147483647",
        ),
        (
            &["-C", "99999999999999999999999"],
            "--connections: 99999999999999999999999 is out of range: must be at most 2147483647",
        ),
        (
            &["-t", "-1"],
            "--stimeout: -1 is out of range: must be positive",
        ),
        (
            &["-t", "0"],
            "--stimeout: 0 is out of range: must be positive",
        ),
        (&["--stimeout=1.5"], "--stimeout: '1.5' is not an integer"),
        (
            &["-l", "10.0.0.300"],
            "--listen: invalid listening address '10.0.0.300': octet 300 > 255",
        ),
        (
            &["-l", "10.0.0"],
            "--listen: invalid listening address '10.0.0': '10.0.0' is not a dotted quad a.b.c.d",
        ),
        (
            &["-l", "10.0.0.1-5"],
            "--listen: invalid listening address '10.0.0.1-5': a range is not a single address",
        ),
        (
            &["-l", "::1"],
            "--listen: invalid listening address '::1': not an IPv4 address, range or host name",
        ),
        (
            &["-l", "bad host"],
            "--listen: invalid listening address 'bad host': not an IPv4 address, range or host name",
        ),
        (&["-p", ""], "--pidfile: empty value"),
        (&["-c", ""], "--conf: empty value"),
        (&["-e", ""], "--ppp: empty value"),
        (&["-o", ""], "--option: empty value"),
        (&["-s", ""], "--speed: empty value"),
        (&["-b", ""], "--bcrelay: empty value"),
        (&["--vrf="], "--vrf: empty value"),
        (&["-l", ""], "--listen: empty value"),
    ] {
        let e = err(args);
        assert_eq!(e.exit_code, EXIT_BAD_VALUE, "{args:?}");
        assert_eq!(e.message, message, "{args:?}");
    }
}

#[test]
fn plus_sign_and_zero_padding_are_plain_integers() {
    assert_eq!(ok(&["-C", "+5"]).connections, Some(5));
    assert_eq!(ok(&["-C", "007"]).connections, Some(7));
    assert_eq!(err(&["-C", "-0"]).exit_code, EXIT_BAD_VALUE);
}

#[test]
fn a_realistic_debian_command_line() {
    // The systemd unit runs `pptpd --fg $DAEMON_OPTS` (reference §2.2).
    let o = ok(&[
        "--fg",
        "-c",
        "/etc/pptpd.conf",
        "-C",
        "50",
        "-l",
        "203.0.113.5",
        "-w",
    ]);
    assert_eq!(
        o,
        ServerOptions {
            fg: true,
            conf: Some("/etc/pptpd.conf".into()),
            connections: Some(50),
            listen: Some("203.0.113.5".into()),
            logwtmp: true,
            ..Default::default()
        }
    );
}

#[test]
fn display_has_the_program_prefix() {
    let e = err(&["-C", "0"]);
    assert_eq!(
        e.to_string(),
        "pptpd: --connections: 0 is out of range: must be positive"
    );
}

#[test]
fn help_and_version_order_survives_consumed_values() {
    let o = ok(&["-o", "x", "-vh"]);
    assert!(!o.help && o.version);
    let o = ok(&["-ohv", "-vh"]);
    assert!(!o.help && o.version);
    assert_eq!(o.option, Some("hv".into()));
}
