use super::*;

use crate::getopt::testing::{parsed, refused};

fn ok(args: &[&str]) -> ClientOptions {
    parsed(args, parse)
}

fn err(args: &[&str]) -> CliError {
    refused(args, parse)
}

fn host() -> ClientOptions {
    ClientOptions {
        host: "host".into(),
        ..ClientOptions::default()
    }
}

/// Parses and forgets `given`, which `given_lists_options_in_order` checks on its own.
fn ok_ignoring_given(args: &[&str]) -> ClientOptions {
    let mut o = ok(args);
    o.given.clear();
    o
}

#[test]
fn defaults_follow_reference_section_1_2() {
    let o = ok(&["host"]);
    assert_eq!(o, host());
    assert_eq!(o.reorder_timeout, Duration::from_millis(300));
    assert_eq!(o.idle_wait, Some(Duration::from_secs(60)));
    assert_eq!(o.max_echo_wait, Duration::from_secs(60));
    assert_eq!(o.logstring, "anon");
    assert_eq!(o.loglevel, 1);
    assert_eq!(o.test_rate, 100);
    assert_eq!(o.speed, "38400");
    assert_eq!(o.port, 1723);
    assert!(o.launch_pppd && o.host_route && o.delayed_ack);
    assert_eq!((o.window, o.missing_window, o.rtmark), (None, None, None));
}

type Expect = fn(&mut ClientOptions);

/// Options with a value, each tried as `--opt v` after the host and `--opt=v` before it.
const VALUED: &[(&str, &str, Expect)] = &[
    ("phone", "5551234", |o| o.phone = Some("5551234".into())),
    ("quirks", "BEZEQ_ISRAEL", |o| {
        o.quirks = Some(Quirk::BezeqIsrael)
    }),
    ("timeout", "1.5", |o| {
        o.reorder_timeout = Duration::from_millis(1500)
    }),
    ("timeout", "0.01", |o| {
        o.reorder_timeout = Duration::from_millis(10)
    }),
    ("timeout", "10", |o| {
        o.reorder_timeout = Duration::from_secs(10)
    }),
    ("idle-wait", "30", |o| {
        o.idle_wait = Some(Duration::from_secs(30))
    }),
    ("idle-wait", "0", |o| o.idle_wait = None),
    ("max-echo-wait", "5", |o| {
        o.max_echo_wait = Duration::from_secs(5)
    }),
    ("logstring", "office", |o| o.logstring = "office".into()),
    ("localbind", "192.0.2.7", |o| {
        o.localbind = Some(Ipv4Addr::new(192, 0, 2, 7))
    }),
    ("loglevel", "0", |o| o.loglevel = 0),
    ("loglevel", "2", |o| o.loglevel = 2),
    ("test-type", "1", |o| o.test_type = 1),
    ("test-type", "3", |o| o.test_type = 3),
    ("test-rate", "1", |o| o.test_rate = 1),
    ("rtmark", "42", |o| o.rtmark = Some(42)),
    ("rtmark", "4294967295", |o| o.rtmark = Some(u32::MAX)),
    ("rtmark", "0", |o| o.rtmark = None),
    ("missing-window", "1", |o| o.missing_window = Some(1)),
    ("missing-window", "6000", |o| o.missing_window = Some(6000)),
    ("speed", "115200", |o| o.speed = "115200".into()),
    ("speed", "+9600", |o| o.speed = "9600".into()),
    ("speed", "010", |o| o.speed = "10".into()),
    ("pidfile", "/run/pptp.pid", |o| {
        o.pidfile = Some("/run/pptp.pid".into())
    }),
    ("pppd", "mtu 1400  noauth", |o| {
        o.extra_pppd_opts = vec!["mtu".into(), "1400".into(), "noauth".into()]
    }),
    ("port", "1", |o| o.port = 1),
    ("port", "65535", |o| o.port = 65535),
    ("calling-number", "0123", |o| {
        o.calling_number = Some("0123".into())
    }),
    ("window", "1", |o| o.window = Some(1)),
    ("window", "64", |o| o.window = Some(64)),
];

const FLAGS: &[(&str, Expect)] = &[
    ("nolaunchpppd", |o| o.launch_pppd = false),
    ("debug", |o| o.debug = true),
    ("sync", |o| o.sync = true),
    ("nobuffer", |o| o.nobuffer = true),
    ("version", |o| o.version = true),
    ("nohostroute", |o| o.host_route = false),
    ("nobsdcomp", |o| {
        o.extra_pppd_opts = vec!["nobsdcomp".into()]
    }),
    ("novj", |o| o.extra_pppd_opts = vec!["novj".into()]),
    ("nodefaultroute", |o| {
        o.extra_pppd_opts = vec!["nodefaultroute".into()]
    }),
    ("noencrypt", |o| o.extra_pppd_opts = vec!["nomppe".into()]),
    ("require-mppe", |o| {
        o.extra_pppd_opts = vec!["require-mppe".into()]
    }),
    ("require-mppe-128", |o| {
        o.extra_pppd_opts = vec!["require-mppe-128".into()]
    }),
    ("incoming-call", |o| o.incoming_call = true),
    ("always-ack", |o| o.always_ack = true),
    ("no-delayed-ack", |o| o.delayed_ack = false),
    ("resolve-once", |o| o.resolve_once = true),
    ("help", |o| o.help = true),
];

#[test]
fn every_valued_option_in_both_forms() {
    for &(name, value, expect) in VALUED {
        let mut want = host();
        expect(&mut want);
        let spaced = format!("--{name}");
        let joined = format!("--{name}={value}");
        assert_eq!(
            ok_ignoring_given(&["host", &spaced, value]),
            want,
            "{name} {value}"
        );
        assert_eq!(ok_ignoring_given(&[&joined, "host"]), want, "{joined}");
    }
}

#[test]
fn every_flag_before_and_after_the_host() {
    for &(name, expect) in FLAGS {
        let mut want = host();
        expect(&mut want);
        let flag = format!("--{name}");
        assert_eq!(ok_ignoring_given(&["host", &flag]), want, "{flag}");
        assert_eq!(ok_ignoring_given(&[&flag, "host"]), want, "{flag}");
    }
}

#[test]
fn every_option_in_the_table_is_tested_and_listed_in_usage() {
    let text = usage();
    for spec in TABLE.specs() {
        let tested = VALUED.iter().any(|v| v.0 == spec.name)
            || FLAGS.iter().any(|f| f.0 == spec.name)
            || spec.name == "set-mppe-key";
        assert!(tested, "--{} has no parse test", spec.name);
        assert!(
            text.contains(&format!("--{} ", spec.name)),
            "--{}",
            spec.name
        );
        assert_eq!(spec.arg.is_some(), !FLAGS.iter().any(|f| f.0 == spec.name));
    }
}

#[test]
fn pppd_lists_match_the_pppd_section() {
    let (_, section) = TABLE.sections[1];
    let names: Vec<&str> = section.iter().map(|s| s.name).collect();
    assert_eq!(PPPD_ONLY[..], names[..names.len() - 1]);
    assert_eq!(names.last(), Some(&"set-mppe-key"));
    for (flag, _) in PPPD_FLAGS {
        assert!(PPPD_ONLY.contains(&flag));
    }
}

#[test]
fn usage_fits_eighty_columns() {
    for line in usage().lines() {
        assert!(line.len() <= 80, "{line:?} is {} long", line.len());
    }
}

#[test]
fn unambiguous_prefixes_expand() {
    assert!(!ok(&["--nolaunch", "host"]).launch_pppd);
    assert_eq!(
        ok(&["host", "--idle", "5"]).idle_wait,
        Some(Duration::from_secs(5))
    );
    assert_eq!(
        ok(&["host", "--idle=7"]).idle_wait,
        Some(Duration::from_secs(7))
    );
    assert_eq!(ok(&["--logs", "x", "host"]).logstring, "x");
    assert_eq!(ok(&["--logl=2", "host"]).loglevel, 2);
    assert_eq!(
        ok(&["--q", "BEZEQ_ISRAEL", "host"]).quirks,
        Some(Quirk::BezeqIsrael)
    );
    assert!(ok(&["host", "--nobu"]).nobuffer);
    assert_eq!(ok(&["--nohost", "host"]).given, ["nohostroute"]);
}

#[test]
fn exact_name_wins_over_longer_options() {
    // "require-mppe" is also a prefix of "require-mppe-128"; "pppd" is not a prefix of anything
    // else but "p" would be ambiguous.
    assert_eq!(
        ok(&["--require-mppe", "host"]).extra_pppd_opts,
        ["require-mppe"]
    );
    assert_eq!(ok(&["--pppd", "a", "host"]).extra_pppd_opts, ["a"]);
    assert_eq!(
        ok(&["--require-mppe-", "host"]).extra_pppd_opts,
        ["require-mppe-128"]
    );
}

#[test]
fn ambiguous_prefix_is_a_usage_error_naming_the_candidates() {
    let e = err(&["--log", "2", "host"]);
    assert_eq!(e.exit_code, 1);
    assert!(e.is_usage_error());
    assert_eq!(
        e.message,
        "option '--log' is ambiguous; possibilities: '--logstring' '--loglevel'"
    );
    for prefix in ["--no", "--nob", "--test", "--p", "--m", "--r=1"] {
        let e = err(&[prefix, "host"]);
        assert_eq!(e.exit_code, 1, "{prefix}");
        assert!(e.message.contains("ambiguous"), "{prefix}: {}", e.message);
    }
}

#[test]
fn unknown_options_are_usage_errors() {
    let e = err(&["--bogus", "host"]);
    assert_eq!(
        e,
        CliError {
            program: "pptp",
            exit_code: 1,
            message: "unrecognized option '--bogus'".into()
        }
    );
    assert_eq!(err(&["host", "-x"]).message, "invalid option -- 'x'");
    assert_eq!(err(&["host", "-x"]).exit_code, 1);
}

#[test]
fn flag_with_a_value_and_missing_argument_are_usage_errors() {
    let e = err(&["host", "--debug=1"]);
    assert_eq!(
        (e.exit_code, e.message.as_str()),
        (1, "option '--debug' doesn't allow an argument")
    );
    let e = err(&["host", "--phone"]);
    assert_eq!(
        (e.exit_code, e.message.as_str()),
        (1, "option '--phone' requires an argument")
    );
    // A prefix is reported under the full name, as GNU does.
    assert_eq!(
        err(&["host", "--pho"]).message,
        "option '--phone' requires an argument"
    );
}

#[test]
fn missing_host_is_a_usage_error_unless_help_or_version() {
    for args in [&[][..], &["--debug"], &["--debug", "--"]] {
        let e = err(args);
        assert_eq!((e.exit_code, e.message.as_str()), (1, "missing host name"));
    }
    let o = ok(&["--version"]);
    assert!(o.version && o.host.is_empty());
    let o = ok(&["--help"]);
    assert!(o.help && o.host.is_empty());
    assert_eq!(ok(&["--vers", "host"]).host, "host");
}

#[test]
fn range_errors_exit_2_naming_the_option() {
    let cases: &[(&[&str], &str)] = &[
        (&["--phone", &"9".repeat(65)], "--phone"),
        (&["--calling-number", &"9".repeat(65)], "--calling-number"),
        (&["--timeout", "0.009"], "--timeout"),
        (&["--timeout", "10.01"], "--timeout"),
        (&["--timeout", "abc"], "--timeout"),
        (&["--timeout", "NaN"], "--timeout"),
        (&["--timeout", "inf"], "--timeout"),
        (&["--idle-wait", "-1"], "--idle-wait"),
        (&["--idle-wait", "5s"], "--idle-wait"),
        (&["--idle-wait", "2147483648"], "--idle-wait"),
        (&["--max-echo-wait", "0"], "--max-echo-wait"),
        (&["--max-echo-wait", "-3"], "--max-echo-wait"),
        (&["--localbind", "300.1.1.1"], "--localbind"),
        (&["--localbind", "host.example"], "--localbind"),
        (&["--test-type", "4"], "--test-type"),
        (&["--test-type", "-1"], "--test-type"),
        (&["--test-rate", "0"], "--test-rate"),
        (&["--test-type", "2", "--test-rate", "10"], "--test-rate"),
        (&["--test-rate", "10", "--test-type", "3"], "--test-rate"),
        (&["--rtmark", "-1"], "--rtmark"),
        (&["--rtmark", "4294967296"], "--rtmark"),
        (&["--rtmark", "x"], "--rtmark"),
        (&["--missing-window", "0"], "--missing-window"),
        (&["--missing-window", "-5"], "--missing-window"),
        (&["--speed", "0"], "--speed"),
        (&["--speed", "fast"], "--speed"),
        (&["--pidfile", ""], "--pidfile"),
        (&["--port", "0"], "--port"),
        (&["--port", "65536"], "--port"),
        (&["--window", "0"], "--window"),
        (&["--window", "65536"], "--window"),
        (&["--set-mppe-key", "00"], "--set-mppe-key"),
    ];
    for &(args, name) in cases {
        let mut args = args.to_vec();
        args.push("host");
        let e = err(&args);
        assert_eq!(e.exit_code, 2, "{args:?}: {e}");
        assert!(!e.is_usage_error());
        assert!(e.message.starts_with(name), "{args:?}: {}", e.message);
    }
}

#[test]
fn range_messages_say_what_is_wrong() {
    assert_eq!(
        err(&["host", "--idle-wait", "-1"]).message,
        "--idle-wait: -1 is out of range: must not be negative"
    );
    assert_eq!(
        err(&["host", "--port", "70000"]).message,
        "--port: 70000 is out of range: must be at most 65535"
    );
    assert_eq!(
        err(&["host", "--missing-window", "0"]).message,
        "--missing-window: 0 is out of range: must be positive"
    );
    assert_eq!(
        err(&["host", "--timeout", "20"]).message,
        "--timeout: packet timeout 20 out of range: should be between 0.01 and 10 seconds"
    );
    assert_eq!(
        err(&["host", "--phone", &"1".repeat(65)]).message,
        "--phone: number is 65 bytes long; the limit is 64 bytes"
    );
    assert!(
        err(&["host", "--test-type=2", "--test-rate=5"])
            .message
            .contains("at least 11 with --test-type 2")
    );
}

#[test]
fn sixty_four_byte_numbers_are_accepted() {
    let n = "7".repeat(64);
    assert_eq!(ok(&["host", "--phone", &n]).phone, Some(n.clone()));
    assert_eq!(
        ok(&["host", "--calling-number", &n]).calling_number,
        Some(n)
    );
}

#[test]
fn test_rate_eleven_is_enough_for_holding_test_types() {
    let o = ok(&["host", "--test-type", "2", "--test-rate", "11"]);
    assert_eq!((o.test_type, o.test_rate), (2, 11));
    // The default rate of 100 suits every type.
    assert_eq!(ok(&["host", "--test-type", "3"]).test_rate, 100);
}

#[test]
fn bad_quirk_and_bad_loglevel_are_usage_errors() {
    for args in [
        &["--quirks", "bezeq_israel"][..],
        &["--quirks", "ORCKIT"],
        &["--loglevel", "3"],
        &["--loglevel", "-1"],
        &["--loglevel", "low"],
    ] {
        let mut args = args.to_vec();
        args.push("host");
        let e = err(&args);
        assert_eq!(e.exit_code, 1, "{args:?}");
        assert!(e.message.starts_with(args[0]), "{}", e.message);
    }
}

#[test]
fn set_mppe_key_is_refused_with_its_reason() {
    let e = err(&["host", "--set-mppe-key", "0011"]);
    assert_eq!(e.exit_code, 2);
    assert_eq!(
        e.message,
        "--set-mppe-key is not supported: pppd derives MPPE keys from MS-CHAPv2 and no fixed key can be set"
    );
    assert_eq!(e.to_string(), format!("pptp: {}", e.message));
}

#[test]
fn options_permute_around_the_host() {
    let o = ok(&["--debug", "host", "--nolaunchpppd"]);
    assert!(o.debug && !o.launch_pppd);
    assert_eq!(o.host, "host");
    assert!(o.pppd_args.is_empty());

    let o = ok(&["host", "--nolaunchpppd", "file", "/etc/x"]);
    assert!(!o.launch_pppd);
    assert_eq!(o.host, "host");
    assert_eq!(o.pppd_args, ["file", "/etc/x"]);

    let o = ok(&["host", "file", "--sync", "/etc/x", "--phone", "1"]);
    assert_eq!(o.pppd_args, ["file", "/etc/x"]);
    assert!(o.sync);
    assert_eq!(o.phone.as_deref(), Some("1"));
}

#[test]
fn double_dash_passes_dashed_arguments_to_pppd() {
    let o = ok(&["host", "--debug", "--", "-detach", "--novj", "debug"]);
    assert!(o.debug);
    assert_eq!(o.pppd_args, ["-detach", "--novj", "debug"]);
    assert!(o.extra_pppd_opts.is_empty());
    // Prefixes are not expanded after "--" either.
    assert_eq!(ok(&["host", "--", "--nolaunch"]).pppd_args, ["--nolaunch"]);
    // The host itself may follow "--", as getopt_long leaves it the first operand.
    let o = ok(&["--sync", "--", "host", "-x"]);
    assert_eq!(
        (o.host.as_str(), o.pppd_args.as_slice()),
        ("host", &["-x".to_string()][..])
    );
    // A lone "-" is an operand.
    assert_eq!(ok(&["host", "-"]).pppd_args, ["-"]);
}

#[test]
fn the_argument_of_an_option_is_taken_whatever_it_looks_like() {
    assert_eq!(
        ok(&["host", "--phone", "--debug"]).phone.as_deref(),
        Some("--debug")
    );
    assert!(!ok(&["host", "--phone", "--debug"]).debug);
    let o = ok(&["host", "--logstring", "--", "--sync"]);
    assert_eq!(o.logstring, "--");
    assert!(o.sync);
    assert_eq!(ok(&["host", "--phone", "-1"]).phone.as_deref(), Some("-1"));
    assert_eq!(ok(&["host", "--phone="]).phone.as_deref(), Some(""));
    assert_eq!(ok(&["host", "--pppd=a=b"]).extra_pppd_opts, ["a=b"]);
}

#[test]
fn repeated_options_last_one_wins() {
    let o = ok(&[
        "--loglevel",
        "0",
        "host",
        "--loglevel=2",
        "--phone",
        "1",
        "--phone",
        "2",
    ]);
    assert_eq!(o.loglevel, 2);
    assert_eq!(o.phone.as_deref(), Some("2"));
    let o = ok(&["host", "--pppd", "a b", "--pppd", "c"]);
    assert_eq!(o.extra_pppd_opts, ["c"]);
    assert!(ok(&["host", "--debug", "--debug"]).debug);
    assert_eq!(ok(&["host", "--novj", "--novj"]).extra_pppd_opts, ["novj"]);
}

#[test]
fn pppd_flags_keep_their_order_then_pppd_words() {
    let o = ok(&[
        "--pppd",
        "mtu 1400",
        "host",
        "--require-mppe-128",
        "--noencrypt",
        "--novj",
        "--require-mppe-128",
    ]);
    assert_eq!(
        o.extra_pppd_opts,
        ["require-mppe-128", "nomppe", "novj", "mtu", "1400"]
    );
}

#[test]
fn given_lists_options_in_order() {
    let o = ok(&["--sync", "host", "--nolaunch", "--phone=1", "--sync"]);
    assert_eq!(o.given, ["sync", "nolaunchpppd", "phone"]);
}

#[test]
fn warnings_with_nolaunchpppd_name_each_pppd_option() {
    let o = ok(&[
        "host",
        "--nolaunchpppd",
        "--novj",
        "--speed",
        "9600",
        "--pidfile",
        "/run/p",
        "--pppd",
        "mtu 1400",
        "file",
        "/etc/x",
    ]);
    assert_eq!(
        warnings(&o),
        [
            "pptp: --novj has no effect with --nolaunchpppd; put pppd options in the peers file",
            "pptp: --speed has no effect with --nolaunchpppd; put pppd options in the peers file",
            "pptp: --pppd has no effect with --nolaunchpppd; put pppd options in the peers file",
            "pptp: pppd options after the host (file /etc/x) have no effect with \
             --nolaunchpppd; put pppd options in the peers file",
        ]
    );
    // The same options are fine when pptp launches pppd.
    let o = ok(&["host", "--novj", "--speed", "9600", "file", "/etc/x"]);
    assert!(warnings(&o).is_empty());
    assert!(warnings(&ok(&["host", "--nolaunchpppd", "--pidfile", "/p"])).is_empty());
}

#[test]
fn warnings_for_other_ineffective_combinations() {
    assert_eq!(
        warnings(&ok(&["host", "--nobuffer", "--timeout", "1"])),
        ["pptp: --timeout has no effect with --nobuffer"]
    );
    assert_eq!(
        warnings(&ok(&["host", "--idle-wait", "0", "--max-echo-wait", "9"])),
        ["pptp: --max-echo-wait has no effect with --idle-wait 0, which disables echoes"]
    );
    assert_eq!(
        warnings(&ok(&["host", "--test-rate", "50"])),
        ["pptp: --test-rate has no effect without --test-type"]
    );
    assert!(warnings(&ok(&["host", "--test-type", "1", "--test-rate", "50"])).is_empty());
    assert_eq!(
        warnings(&ok(&["host", "--calling-number", "555"])),
        ["pptp: --calling-number has no effect without --incoming-call"]
    );
    assert!(warnings(&ok(&["host", "--calling-number", "555", "--incoming-call"])).is_empty());
    assert!(warnings(&ok(&["host", "--nobuffer", "--idle-wait", "0"])).is_empty());
}

#[test]
fn quirk_names_from_other_manuals_are_mapped_or_refused_with_a_reason() {
    assert_eq!(
        ok(&["--quirks", "noresetroute", "host"]).quirks,
        Some(Quirk::KeepHostRoute)
    );
    for (name, why) in [
        ("mppe_stateless", "nomppe-stateful"),
        ("remote_ip", "IPCP"),
        ("nocrash", "nothing to work around"),
    ] {
        let e = err(&["--quirks", name, "host"]);
        assert_eq!(e.exit_code, 1, "{name}");
        assert!(
            e.message.contains(name) && e.message.contains(why),
            "{}",
            e.message
        );
    }
}
