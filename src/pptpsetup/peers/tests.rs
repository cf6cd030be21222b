use super::*;

/// A file of tests/vectors/pptpsetup/perl: what pptp-linux's pptpsetup wrote.
macro_rules! perl {
    ($path:literal) => {
        &include_bytes!(concat!("../../../tests/vectors/pptpsetup/perl/", $path))[..]
    };
}

/// The (option, value) pairs pppd reads from a peers file, for the options pptpsetup
/// writes (`pty`, `name`, `remotename` and `ipparam` take a value, the others none).
fn options(file: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut words = Words::new(file).map(|w| w.text);
    let mut out = Vec::new();
    while let Some(option) = words.next() {
        let option = String::from_utf8(option).unwrap();
        let value = match option.as_str() {
            "pty" | "name" | "remotename" | "ipparam" => words.next().unwrap(),
            _ => Vec::new(),
        };
        out.push((option, value));
    }
    out
}

#[test]
fn the_peers_file_is_pptp_linuxs() {
    assert_eq!(
        text("vpn", "vpn.example.com", b"alice", false),
        perl!("basic/peers/vpn")
    );
    assert_eq!(
        text("office", "192.0.2.1", b"bob", true),
        perl!("encrypt/peers/office")
    );
    assert_eq!(
        text("vpn", "vpn.example.com", b"al$ice", false),
        perl!("special/peers/vpn")
    );
    assert_eq!(
        text("vpn", "vpn.example.com", b"alice", true),
        perl!("short/peers/vpn")
    );
}

#[test]
fn pppd_reads_the_options_pptp_linux_meant() {
    let file = text("office", "192.0.2.1 --loglevel 2", b"bob", true);
    let opts = options(&file);
    let names: Vec<&str> = opts.iter().map(|(o, _)| o.as_str()).collect();
    assert_eq!(
        names,
        [
            "pty",
            "lock",
            "noauth",
            "nobsdcomp",
            "nodeflate",
            "name",
            "remotename",
            "ipparam",
            "require-mppe-128"
        ]
    );
    assert_eq!(
        opts[0].1,
        b"/usr/sbin/pptp 192.0.2.1 --loglevel 2 --nolaunchpppd"
    );
    assert_eq!(opts[5].1, b"bob");
    assert_eq!(opts[6].1, b"office");
    assert_eq!(opts[7].1, b"office");
}

/// pptp-linux's `name CORP\alice` reaches pppd as "CORP", BEL, "lice"; ours as written.
#[test]
fn a_domain_user_keeps_its_backslash() {
    let perl = perl!("domain/peers/corp");
    let ours = text("corp", "vpn.corp.example", b"CORP\\alice", false);
    let fixed = String::from_utf8_lossy(perl).replace("name CORP\\alice", "name \"CORP\\\\alice\"");
    assert_eq!(ours, fixed.as_bytes());
    assert_eq!(user_name(perl).unwrap(), b"CORP\x07lice");
    assert_eq!(user_name(&ours).unwrap(), b"CORP\\alice");
}

#[test]
fn hostile_names_round_trip() {
    for name in [
        &b"CORP\\alice"[..],
        b"a b",
        b"#x",
        b"x#",
        b"'q'",
        b"\"",
        b"x\\",
        b"\\",
        b"tab\t",
        b"$USER",
        "ünï".as_bytes(),
        b"\xe9latin1",
    ] {
        let file = text("vpn", "vpn.example.com", name, false);
        assert_eq!(user_name(&file).as_deref(), Some(name), "{name:?}");
        assert_eq!(options(&file)[5], ("name".to_owned(), name.to_vec()));
    }
}

#[test]
fn the_user_name_is_the_last_name_that_starts_a_line() {
    // A tunnel called "name": `remotename name` and `ipparam name` are not name options.
    let file = text("name", "h", b"alice", false);
    assert_eq!(user_name(&file).unwrap(), b"alice");
    let file = b"name first\n# name commented\nnoauth\n  name   \"second one\"  \nipparam name\n";
    assert_eq!(user_name(file).unwrap(), b"second one");
    assert_eq!(user_name(b"name alice"), Some(b"alice".to_vec()));
    assert_eq!(user_name(b"noauth\nname\nalice\n"), None);
    assert_eq!(user_name(b"pty \"pptp h --nolaunchpppd\"\n"), None);
    assert_eq!(user_name(b""), None);
}
