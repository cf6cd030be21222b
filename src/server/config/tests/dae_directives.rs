//! The `dae-*` directives: the Disconnect-Request listener, its clients, NAS identity and
//! policy.

use super::*;
use crate::proto::dae::{AllowedClients, DaeConfig, MultipleSessions, NasIdentity};
use std::net::{IpAddr, SocketAddr};

fn dae(text: &str) -> (Option<DaeSettings>, Vec<String>) {
    let (config, warnings) = merged_ok(&ServerOptions::default(), text);
    (config.dae, warnings)
}

#[test]
fn off_by_default() {
    assert_eq!(dae("").0, None);
    assert_eq!(defaults().dae, None);
}

#[test]
fn server_alone_listens_for_loopback_only() {
    let (settings, warnings) = dae("dae-server 127.0.0.1:3799 s3cret with blanks\n");
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        settings,
        Some(DaeSettings {
            listen: "127.0.0.1:3799".parse().unwrap(),
            config: DaeConfig {
                clients: AllowedClients::Only(default_dae_clients()),
                ..DaeConfig::new(b"s3cret with blanks".to_vec())
            },
        })
    );
    assert!(default_dae_clients().contains(&"::1".parse::<IpAddr>().unwrap()));
}

#[test]
fn every_directive() {
    let text = "dae-server [::]:1700 abc\n\
                dae-client 192.0.2.5, 198.51.100.7 ::ffff:203.0.113.9,2001:db8::1\n\
                dae-nas-ip-address 192.0.2.1\n\
                dae-nas-identifier pptpd one\n\
                dae-multiple-sessions refuse\n";
    let (settings, warnings) = dae(text);
    assert_eq!(warnings, Vec::<String>::new());
    let settings = settings.unwrap();
    assert_eq!(settings.listen, "[::]:1700".parse::<SocketAddr>().unwrap());
    let clients: HashSet<IpAddr> = ["192.0.2.5", "198.51.100.7", "203.0.113.9", "2001:db8::1"]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
    assert_eq!(
        settings.config,
        DaeConfig {
            clients: AllowedClients::Only(clients),
            nas: NasIdentity {
                ipv4: Some(ip(192, 0, 2, 1)),
                identifier: Some("pptpd one".into()),
            },
            multiple_sessions: MultipleSessions::Refuse,
            ..DaeConfig::new(b"abc".to_vec())
        }
    );
    let (settings, _) =
        dae("dae-server 192.0.2.1:3799 x\ndae-client any\ndae-multiple-sessions all\n");
    let config = settings.unwrap().config;
    assert_eq!(config.clients, AllowedClients::Any);
    assert_eq!(config.multiple_sessions, MultipleSessions::All);
}

#[test]
fn bad_values_name_file_line_and_problem() {
    for (text, needle) in [
        (
            "dae-server\n",
            "/etc/pptpd.conf:1: 'dae-server' needs a value",
        ),
        (
            "\ndae-server 127.0.0.1:3799\n",
            "/etc/pptpd.conf:2: dae-server needs a shared secret",
        ),
        (
            "dae-server 127.0.0.1 s\n",
            "bad dae-server address '127.0.0.1': ADDRESS:PORT",
        ),
        (
            "dae-server localhost:3799 s\n",
            "bad dae-server address 'localhost:3799'",
        ),
        ("dae-server 127.0.0.1:70000 s\n", "bad dae-server address"),
        ("dae-server 127.0.0.1:0 s\n", "bad dae-server port 0"),
        (
            "dae-client 192.0.2.1,aaa.example\n",
            "bad dae-client item 'aaa.example'",
        ),
        ("dae-client any,192.0.2.1\n", "bad dae-client item 'any'"),
        (
            "dae-nas-ip-address ::1\n",
            "bad dae-nas-ip-address '::1': an IPv4 address",
        ),
        (
            "dae-multiple-sessions some\n",
            "bad dae-multiple-sessions 'some'",
        ),
    ] {
        let e = parse_err(text);
        assert!(e.contains(needle), "{text:?}: {e}");
    }
    let long = format!("dae-nas-identifier {}\n", "n".repeat(254));
    assert!(parse_err(&long).contains("at most 253"));
}

#[test]
fn warnings_for_what_would_surprise() {
    let (settings, warnings) = dae("dae-client 192.0.2.5\ndae-nas-identifier x\n");
    assert_eq!(settings, None);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("line 1") && warnings[0].contains("without dae-server"));

    let (settings, warnings) = dae("dae-server 192.0.2.1:3799 s\n");
    assert!(settings.is_some());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("name the RADIUS servers with dae-client"));

    let (settings, warnings) = dae("dae-server 127.0.0.1:3799 \"quoted\"\n");
    assert_eq!(settings.unwrap().config.secret, b"\"quoted\"");
    assert!(warnings[0].contains("/etc/pptpd.conf:1:") && warnings[0].contains("quotes"));

    // The first occurrence wins, as for every keyword.
    let (settings, warnings) = dae("dae-server 127.0.0.1:3799 a\ndae-server 127.0.0.1:1 b\n");
    assert_eq!(settings.unwrap().config.secret, b"a");
    assert!(warnings[0].contains("repeated"), "{warnings:?}");
}

#[test]
fn a_world_readable_file_with_the_secret_is_reported() {
    let scratch = Scratch::new("dae-secret");
    let conf = scratch.file("pptpd.conf", "dae-server 127.0.0.1:3799 s\n");
    fs::set_permissions(&conf, fs::Permissions::from_mode(0o644)).unwrap();
    let w = super::super::dae::secret_exposure(&conf).expect("a warning");
    assert!(w.contains("mode 644") && w.contains("chmod o-r"), "{w}");
    fs::set_permissions(&conf, fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(super::super::dae::secret_exposure(&conf), None);
}
