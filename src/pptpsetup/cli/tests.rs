use super::*;
use std::os::unix::ffi::OsStringExt;

fn argv(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn ok(args: &[&str]) -> Parsed {
    match parse(&argv(args)) {
        Ok(p) => p,
        Err(e) => panic!("{args:?} failed: {e}"),
    }
}

fn created(args: &[&str]) -> Create {
    match ok(args).command {
        Command::Create(c) => c,
        other => panic!("{args:?} gave {other:?}"),
    }
}

fn err(args: &[&str]) -> String {
    match parse(&argv(args)) {
        Ok(p) => panic!("{args:?} parsed: {p:?}"),
        Err(e) => {
            assert_eq!(e.exit_code, EXIT_USAGE, "{e}");
            assert_eq!(e.program, "pptpsetup");
            e.message
        }
    }
}

const BASIC: &[&str] = &[
    "--create",
    "vpn",
    "--server",
    "vpn.example.com",
    "--username",
    "alice",
    "--password",
    "secret",
];

fn basic() -> Create {
    Create {
        tunnel: "vpn".into(),
        server: "vpn.example.com".into(),
        identity: b"alice".to_vec(),
        password: Some(b"secret".to_vec()),
        encrypt: false,
        start: false,
    }
}

// ==== Getopt::Long's rules, as pptp-linux's script gets them ====

#[test]
fn the_basic_command_line() {
    assert_eq!(created(BASIC), basic());
    assert!(ok(BASIC).warnings.is_empty());
}

#[test]
fn every_spelling_of_an_option_is_the_same_option() {
    let spellings: &[&[&str]] = &[
        &[
            "-c",
            "vpn",
            "-s",
            "vpn.example.com",
            "-u",
            "alice",
            "-p",
            "secret",
        ],
        &[
            "--c",
            "vpn",
            "--s",
            "vpn.example.com",
            "--u",
            "alice",
            "--p",
            "secret",
        ],
        &[
            "-create",
            "vpn",
            "-server",
            "vpn.example.com",
            "-username",
            "alice",
            "-password",
            "secret",
        ],
        &[
            "--create=vpn",
            "--server=vpn.example.com",
            "--username=alice",
            "--password=secret",
        ],
        &["-c=vpn", "-s=vpn.example.com", "-u=alice", "-p=secret"],
        &[
            "--cr",
            "vpn",
            "--se",
            "vpn.example.com",
            "--us",
            "alice",
            "--pa",
            "secret",
        ],
        &[
            "--CREATE",
            "vpn",
            "--Server",
            "vpn.example.com",
            "--USER",
            "alice",
            "--PassWord",
            "secret",
        ],
        // Options in any order, and the last of a repeated option wins.
        &[
            "--password",
            "x",
            "--username",
            "bob",
            "--server",
            "h",
            "--create",
            "other",
            "--password",
            "secret",
            "--username",
            "alice",
            "--server",
            "vpn.example.com",
            "--create",
            "vpn",
        ],
    ];
    for args in spellings {
        assert_eq!(created(args), basic(), "{args:?}");
    }
}

#[test]
fn single_letters_are_names_of_their_own() {
    // `s` is server and `d` domain, although `--s` and `--d` are also prefixes of start and
    // delete; two letters tell those apart.
    let c = created(&[
        "-c", "vpn", "--s", "h", "--d", "CORP", "-u", "alice", "-p", "x", "--st", "-e",
    ]);
    assert_eq!(c.server, "h");
    assert_eq!(c.identity, b"CORP\\alice");
    assert!(c.start && c.encrypt);
    assert!(matches!(ok(&["--de", "vpn"]).command, Command::Delete(t) if t == "vpn"));
    assert_eq!(
        created(&["-c", "vpn", "-s", "h", "-u", "a", "--do", "D"]).identity,
        b"D\\a"
    );
    assert!(matches!(ok(&["--he"]).command, Command::Help));
    assert!(matches!(ok(&["-h"]).command, Command::Help));
}

#[test]
fn flags_and_values() {
    let mut args = BASIC.to_vec();
    args.extend(["--encrypt", "--start"]);
    let c = created(&args);
    assert!(c.encrypt && c.start);
    assert_eq!(
        err(&["--encrypt=yes"]),
        "option '--encrypt' doesn't allow an argument"
    );
    // A value is the next argument, whatever it looks like.
    let c = created(&[
        "--create",
        "vpn",
        "--server",
        "h",
        "--username",
        "--x",
        "--password",
        "-p",
    ]);
    assert_eq!(
        (c.identity, c.password),
        (b"--x".to_vec(), Some(b"-p".to_vec()))
    );
    let c = created(&[
        "--create",
        "vpn",
        "--server",
        "h",
        "--username",
        "u",
        "--password=",
    ]);
    assert_eq!(c.password, None);
}

#[test]
fn values_are_bytes() {
    let mut args = argv(&["--create", "vpn", "--server", "h", "--username"]);
    args.push(OsString::from_vec(b"j\xf6rg".to_vec()));
    args.push(OsString::from("--password"));
    args.push(OsString::from_vec(b"gr\xfcn \\ \"x\"".to_vec()));
    let Command::Create(c) = parse(&args).unwrap().command else {
        panic!()
    };
    assert_eq!(c.identity, b"j\xf6rg");
    assert_eq!(c.password.unwrap(), b"gr\xfcn \\ \"x\"");
}

// ==== refusals ====

#[test]
fn no_action_is_too_few_arguments() {
    assert_eq!(err(&[]), "too few arguments.");
    assert_eq!(
        err(&["--server", "h", "--username", "u"]),
        "too few arguments."
    );
}

#[test]
fn option_errors_stop_everything() {
    // pptp-linux prints "Unknown option" and creates the tunnel anyway.
    let mut args = vec!["--bogus"];
    args.extend(BASIC);
    assert_eq!(err(&args), "unrecognized option '--bogus'");
    assert_eq!(err(&["-x"]), "unrecognized option '--x'");
    assert_eq!(err(&["--create"]), "option '--create' requires an argument");
    assert_eq!(err(&["--delete"]), "option '--delete' requires an argument");
    let mut args = BASIC.to_vec();
    args.push("--password");
    assert_eq!(err(&args), "option '--password' requires an argument");
}

#[test]
fn stray_arguments_are_refused() {
    // `--password a b` without quotes: pptp-linux stores "a" and ignores "b".
    let mut args = BASIC.to_vec();
    args.push("b");
    assert!(err(&args).starts_with("unexpected argument 'b'"));
    let mut args = BASIC.to_vec();
    args.extend(["--", "--encrypt"]);
    assert!(err(&args).starts_with("unexpected argument '--encrypt'"));
    assert!(err(&["-"]).starts_with("unexpected argument '-'"));
    // A final `--` is harmless.
    let mut args = BASIC.to_vec();
    args.push("--");
    assert_eq!(created(&args), basic());
}

#[test]
fn one_action_at_a_time_and_help_first() {
    let mut args = BASIC.to_vec();
    args.extend(["--delete", "vpn"]);
    assert_eq!(err(&args), "--create and --delete cannot be used together");
    let mut args = BASIC.to_vec();
    args.push("--help");
    assert!(matches!(ok(&args).command, Command::Help));
    assert!(matches!(
        ok(&["--help", "--delete", "x"]).command,
        Command::Help
    ));
}

#[test]
fn create_needs_a_server_and_a_user_name() {
    assert_eq!(
        err(&["--create", "vpn", "--username", "u"]),
        "invalid server: none given (--server HOST)"
    );
    assert_eq!(
        err(&["--create", "vpn", "--server", "h"]),
        "invalid username: none given (--username USER)"
    );
    assert_eq!(
        err(&["--create", "vpn", "--server", "", "--username", "u"]),
        "invalid server: it is empty"
    );
    assert_eq!(
        err(&["--create", "vpn", "--server", "h", "--username", ""]),
        "invalid username: it is empty"
    );
    // The tunnel is checked first, as in pptp-linux.
    assert!(err(&["--create", "a/b"]).starts_with("invalid tunnel name"));
}

#[test]
fn tunnel_names() {
    for good in [
        "vpn",
        "vpn-2",
        "work.vpn",
        "0",
        "_",
        "A_b-C.9",
        &"x".repeat(255),
    ] {
        assert_eq!(tunnel_name(good.as_bytes()).as_deref(), Ok(good), "{good}");
    }
    let cases: &[(&[u8], &str)] = &[
        (b"", "it is empty"),
        (b"a/b", "'/'"),
        (b"/etc/passwd", "'/'"),
        (b"../x", "'/'"),
        (b"..", "starts with '.'"),
        (b".", "starts with '.'"),
        (b".hidden", "starts with '.'"),
        (b"-x", "starts with '-'"),
        (b"a b", "' ' is not allowed"),
        (b"a\"b", "'\\\"' is not allowed"),
        (b"a$b", "'$' is not allowed"),
        (b"a\nb", "'\\n' is not allowed"),
        ("é".as_bytes(), "is not allowed"),
    ];
    for (bad, why) in cases {
        let e = tunnel_name(bad).unwrap_err();
        assert!(e.starts_with("invalid tunnel name"), "{e}");
        assert!(e.contains(why), "{bad:?}: {e}");
    }
    assert!(tunnel_name(&[b'x'; 256]).unwrap_err().contains("256 bytes"));
    // --delete checks the name the same way.
    assert!(err(&["--delete", "../chap-secrets"]).starts_with("invalid tunnel name"));
    assert!(err(&["--delete", ""]).starts_with("invalid tunnel name"));
}

#[test]
fn servers_are_what_the_pty_command_keeps() {
    for good in [
        "vpn.example.com",
        "192.0.2.1",
        "h --loglevel 2 --logstring=a/b,c+d@e%f:g_h",
    ] {
        let c = created(&["--create", "v", "--server", good, "--username", "u"]);
        assert_eq!(c.server, good);
    }
    for bad in [
        "h\"", "h\\", "h;reboot", "$(id)", "`id`", "h|x", "h&", "h'", "h\tx", "~x", "h#", "h*",
    ] {
        let e = err(&["--create", "v", "--server", bad, "--username", "u"]);
        assert!(e.starts_with("invalid server '"), "{bad}: {e}");
    }
}

#[test]
fn identities() {
    let id = |domain: Option<&str>, user: &str| {
        let mut args = vec!["--create", "v", "--server", "h", "--username", user];
        if let Some(d) = domain {
            args.extend(["--domain", d]);
        }
        created(&args).identity
    };
    assert_eq!(id(None, "alice"), b"alice");
    assert_eq!(id(Some("CORP"), "alice"), b"CORP\\alice");
    // An empty domain is none, as in pptp-linux; "0" is a domain (Perl thought it false).
    assert_eq!(id(Some(""), "alice"), b"alice");
    assert_eq!(id(Some("0"), "alice"), b"0\\alice");
    assert_eq!(id(None, "a b#c\"d'e\\f$g"), b"a b#c\"d'e\\f$g");
    // pppd keeps 255 bytes of a name: the domain counts.
    assert_eq!(id(None, &"u".repeat(255)).len(), 255);
    assert_eq!(id(Some(&"d".repeat(200)), &"u".repeat(54)).len(), 255);
    let long = "u".repeat(256);
    let e = err(&["--create", "v", "--server", "h", "--username", &long]);
    assert!(e.contains("256 bytes long"), "{e}");
}

#[test]
fn passwords() {
    let pw = |p: &str| created(&["-c", "v", "-s", "h", "-u", "u", "-p", p]).password;
    assert_eq!(pw(""), None);
    // pptp-linux asks for "0" too: Perl thinks it false.
    assert_eq!(pw("0"), Some(b"0".to_vec()));
    assert_eq!(pw(" "), Some(b" ".to_vec()));
    assert_eq!(created(&["-c", "v", "-s", "h", "-u", "u"]).password, None);
}

#[test]
fn create_only_options_warn_with_delete() {
    let p = ok(&[
        "--delete",
        "vpn",
        "--server",
        "h",
        "--encrypt",
        "--server",
        "g",
    ]);
    assert_eq!(p.command, Command::Delete("vpn".into()));
    assert_eq!(
        p.warnings,
        [
            "pptpsetup: --server has no effect with --delete",
            "pptpsetup: --encrypt has no effect with --delete"
        ]
    );
}

#[test]
fn the_usage_text_names_every_option() {
    let text = usage();
    for (name, _) in NAMES {
        let spelled = if name.len() == 1 {
            format!("-{name},")
        } else {
            format!("--{name}")
        };
        assert!(text.contains(&spelled), "{spelled}");
    }
}
