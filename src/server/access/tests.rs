//! The matcher against hosts_access(5) and hosts_options(5): their EXAMPLES, rewritten
//! with addresses where they use names (the man page itself advises it), and each rule of
//! the language.

use super::*;

use std::collections::HashMap;

const ALLOW: &str = "/etc/hosts.allow";
const DENY: &str = "/etc/hosts.deny";

fn table(text: &str, file: &str, kind: Kind) -> (Table, Vec<String>) {
    table_with(text, file, kind, &HashMap::new())
}

fn table_with(
    text: &str,
    file: &str,
    kind: Kind,
    files: &HashMap<&str, &str>,
) -> (Table, Vec<String>) {
    let mut read = |p: &Path| {
        files
            .get(p.to_str().unwrap())
            .map(|t| t.to_string())
            .ok_or_else(|| "No such file or directory (os error 2)".to_owned())
    };
    Table::parse(text, Path::new(file), kind, DAEMON, &mut read)
}

/// The verdict for `client` connecting to pptpd on 192.0.2.1, and the rule's line.
fn check(allow: &str, deny: &str, daemon: &str, client: &str) -> (bool, Option<String>) {
    let (allow, _) = table(allow, ALLOW, Kind::Allow);
    let (deny, _) = table(deny, DENY, Kind::Deny);
    let d = hosts_access(
        &allow,
        &deny,
        &Request {
            daemon,
            client: client.parse().unwrap(),
            server: Some(Ipv4Addr::new(192, 0, 2, 1)),
        },
    );
    (
        d.granted,
        d.rule.map(|(f, l)| format!("{}:{l}", f.display())),
    )
}

fn granted(allow: &str, deny: &str, client: &str) -> bool {
    check(allow, deny, DAEMON, client).0
}

fn warnings(text: &str) -> Vec<String> {
    table(text, DENY, Kind::Deny).1
}

#[test]
fn no_files_grant_everyone() {
    assert_eq!(check("", "", DAEMON, "198.51.100.7"), (true, None));
}

#[test]
fn allow_is_read_before_deny_and_the_first_match_wins() {
    let allow = "pptpd: 198.51.100.7\n";
    let deny = "pptpd: 198.51.100.\nALL: ALL\n";
    assert_eq!(
        check(allow, deny, DAEMON, "198.51.100.7"),
        (true, Some("/etc/hosts.allow:1".into()))
    );
    assert_eq!(
        check(allow, deny, DAEMON, "198.51.100.8"),
        (false, Some("/etc/hosts.deny:1".into()))
    );
    assert_eq!(
        check(allow, deny, DAEMON, "203.0.113.9"),
        (false, Some("/etc/hosts.deny:2".into()))
    );
}

/// hosts_access(5) "MOSTLY CLOSED": `ALL: ALL` in deny, the authorised hosts in allow.
/// `LOCAL` needs a host name and never matches here (nor in libwrap for a client whose
/// name is unknown); the netgroup is refused the same way; the domain EXCEPT one host is
/// written as a network EXCEPT one address.
#[test]
fn example_mostly_closed() {
    let allow = "ALL: LOCAL @some_netgroup\nALL: 198.51.100.0/24 EXCEPT 198.51.100.9\n";
    let deny = "ALL: ALL\n";
    assert!(granted(allow, deny, "198.51.100.7"));
    assert!(!granted(allow, deny, "198.51.100.9"), "the exception");
    assert!(!granted(allow, deny, "203.0.113.1"), "everyone else");
    let (_, w) = table(allow, ALLOW, Kind::Allow);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].starts_with("/etc/hosts.allow:1: 'LOCAL' needs the client's host name"));
    assert!(w[1].starts_with("/etc/hosts.allow:1: netgroup '@some_netgroup'"));
}

/// hosts_access(5) "MOSTLY OPEN": no allow file; deny lists the refused, and
/// `ALL EXCEPT in.fingerd` still lets finger through, which is no concern of pptpd's.
#[test]
fn example_mostly_open() {
    let deny = "ALL: 203.0.113.5, 203.0.113.128/25\n\
                ALL EXCEPT in.fingerd: 198.51.100.7, 198.51.100.64/26\n";
    assert!(granted("", deny, "192.0.2.99"));
    assert!(!granted("", deny, "203.0.113.5"));
    assert!(!granted("", deny, "203.0.113.200"));
    assert!(
        !granted("", deny, "198.51.100.7"),
        "pptpd is not in.fingerd"
    );
    assert!(!granted("", deny, "198.51.100.100"));
    assert!(
        check("", deny, "in.fingerd", "198.51.100.7").0,
        "finger still served"
    );
    assert!(!check("", deny, "in.fingerd", "203.0.113.5").0);
}

/// hosts_access(5) "BOOBY TRAPS": rules for another daemon never apply to pptpd, and the
/// shell command of a pptpd rule is not run; the rule still denies (Debian's libwrap reads
/// the third field as options, finds no option by that name and refuses the client).
#[test]
fn example_booby_traps() {
    let allow = "in.tftpd: LOCAL, 198.51.100.\n";
    let deny =
        "in.tftpd: ALL: (/usr/sbin/safe_finger -l @%h | \\\n     /usr/bin/mail -s %d-%h root) &\n";
    assert!(
        granted(allow, deny, "203.0.113.1"),
        "tftpd's rules are not pptpd's"
    );
    assert!(!check(allow, deny, "in.tftpd", "203.0.113.1").0);
    assert!(check(allow, deny, "in.tftpd", "198.51.100.1").0);
    assert!(
        warnings(deny).is_empty(),
        "in.tftpd's rules are not warned about"
    );
    assert!(table(allow, ALLOW, Kind::Allow).1.is_empty());
    let trapped = deny.replace("in.tftpd", "pptpd");
    let (ok, rule) = check("", &trapped, DAEMON, "203.0.113.1");
    assert!(!ok);
    assert_eq!(
        rule.as_deref(),
        Some("/etc/hosts.deny:1"),
        "the rule starts on line 1"
    );
    let w = warnings(&trapped);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("unknown option '(/usr/sbin/safe_finger'")
            && w[0].contains("refuses a client this rule matches"),
        "{w:?}"
    );
}

/// hosts_options(5) ACCESS CONTROL: every rule in one file with `: allow` and `: deny`.
#[test]
fn example_options_allow_and_deny_in_one_file() {
    let allow = "ALL: 198.51.100.0/255.255.255.0: ALLOW\nALL: ALL: DENY\n";
    assert!(granted(allow, "", "198.51.100.7"));
    assert_eq!(
        check(allow, "", DAEMON, "203.0.113.1"),
        (false, Some("/etc/hosts.allow:2".into()))
    );
    let open = "ALL: 203.0.113.: DENY\nALL: ALL: ALLOW\n";
    assert!(!granted(open, "", "203.0.113.1"));
    assert!(granted(open, "", "198.51.100.7"));
    assert!(table(allow, ALLOW, Kind::Allow).1.is_empty());
    // An allow option in hosts.deny grants too.
    assert!(granted(
        "",
        "pptpd: 198.51.100.7 : allow\nALL: ALL\n",
        "198.51.100.7"
    ));
}

#[test]
fn except_nests_to_the_right() {
    // ALL EXCEPT (198.51.100.0/24 EXCEPT 198.51.100.7)
    let deny = "pptpd: ALL EXCEPT 198.51.100.0/24 EXCEPT 198.51.100.7\n";
    assert!(!granted("", deny, "203.0.113.1"));
    assert!(granted("", deny, "198.51.100.8"));
    assert!(!granted("", deny, "198.51.100.7"));
    // In the daemon list as well.
    let deny = "ALL EXCEPT sshd EXCEPT pptpd: 203.0.113.1\n";
    assert!(!granted("", deny, "203.0.113.1"));
    assert!(check("", deny, "sshd", "203.0.113.1").0);
    assert!(!check("", deny, "ftpd", "203.0.113.1").0);
    assert!(granted("", "pptpd: except 203.0.113.1\n", "203.0.113.1"));
    assert!(warnings("pptpd: EXCEPT 203.0.113.1\n")[0].contains("matches nothing"));
}

#[test]
fn daemon_names_and_server_endpoints() {
    assert!(
        !granted("", "PPTPD: ALL\n", "203.0.113.1"),
        "case-insensitive"
    );
    assert!(granted("", "pptp: ALL\n", "203.0.113.1"));
    assert!(!granted("", "pptp*: ALL\n", "203.0.113.1"));
    // daemon@host: the address the client connected to (192.0.2.1 in `check`).
    assert!(!granted("", "pptpd@192.0.2.1: ALL\n", "203.0.113.1"));
    assert!(!granted("", "pptpd@192.0.2.0/24: ALL\n", "203.0.113.1"));
    assert!(granted("", "pptpd@192.0.2.2: ALL\n", "203.0.113.1"));
    assert!(granted("", "pptpd@vpn.example.com: ALL\n", "203.0.113.1"));
    assert!(warnings("pptpd@vpn.example.com: ALL\n")[0].contains("host name 'vpn.example.com'"));
}

#[test]
fn user_at_host_takes_the_user_as_unknown() {
    assert!(!granted("", "pptpd: ALL@203.0.113.1\n", "203.0.113.1"));
    assert!(!granted("", "pptpd: UNKNOWN@203.0.113.1\n", "203.0.113.1"));
    assert!(granted("", "pptpd: KNOWN@203.0.113.1\n", "203.0.113.1"));
    assert!(granted("", "pptpd: root@203.0.113.1\n", "203.0.113.1"));
    let w = warnings("pptpd: KNOWN@203.0.113.1\n");
    assert!(
        w[0].contains("asks no identd") && w[0].contains("matches no client"),
        "{w:?}"
    );
}

#[test]
fn lines_comments_and_continuations() {
    let deny = "# a comment\n\n   # indented comment\n\
                pptpd: 198.51.100.7 \\\n  198.51.100.8, \\\n  198.51.100.9 # the rest\n\
                pptpd: 203.0.113.1\r\n";
    let (t, w) = table(deny, DENY, Kind::Deny);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(t.len(), 2);
    for (client, line) in [("198.51.100.9", 4), ("203.0.113.1", 7)] {
        let (ok, rule) = check("", deny, DAEMON, client);
        assert!(!ok);
        assert_eq!(rule, Some(format!("{DENY}:{line}")));
    }
    assert!(granted("", deny, "198.51.100.10"));
}

#[test]
fn a_broken_line_is_a_warning_and_the_rest_applies() {
    let deny = "pptpd 198.51.100.7\npptpd: 198.51.100.8\n";
    let w = warnings(deny);
    assert_eq!(
        w,
        ["/etc/hosts.deny:1: missing ':' separator: the line is skipped"]
    );
    assert!(granted("", deny, "198.51.100.7"));
    assert!(!granted("", deny, "198.51.100.8"));
}

#[test]
fn a_last_line_without_newline_applies_with_a_warning() {
    let deny = "pptpd: 198.51.100.7\npptpd: 198.51.100.8";
    assert!(!granted("", deny, "198.51.100.8"));
    let w = warnings(deny);
    assert_eq!(w.len(), 1);
    assert!(w[0].starts_with("/etc/hosts.deny:2: no newline"), "{w:?}");
}

#[test]
fn options_that_are_not_carried_out() {
    let w = warnings("pptpd: 203.0.113.1: spawn /bin/echo %a: severity auth.info\n");
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].contains("'spawn' is not carried out") && w[0].contains("still applies"));
    assert!(!granted(
        "",
        "pptpd: 203.0.113.1: spawn (echo %a) &\n",
        "203.0.113.1"
    ));
    // Granting through hosts.allow with spawn still grants.
    assert!(granted(
        "pptpd: 203.0.113.1: spawn echo\n",
        "ALL: ALL\n",
        "203.0.113.1"
    ));
    // twist would have served the client something else: refused.
    assert!(!granted(
        "pptpd: 203.0.113.1: twist /bin/echo 421 go away\n",
        "",
        "203.0.113.1"
    ));
    assert!(!granted(
        "pptpd: 203.0.113.1: aclexec /bin/true\n",
        "",
        "203.0.113.1"
    ));
    // What libwrap rejects at match time refuses the client, even from hosts.allow.
    for bad in [
        "pptpd: 203.0.113.1: allow: severity auth.info\n",
        "pptpd: 203.0.113.1: allow now\n",
        "pptpd: 203.0.113.1: spawn\n",
        "pptpd: 203.0.113.1: bogus\n",
    ] {
        assert!(!granted(bad, "", "203.0.113.1"), "{bad}");
        assert!(warnings(bad)[0].contains("refuses a client"), "{bad}");
    }
    // `keyword = value` and `\:` inside an option.
    let w = warnings("pptpd: 203.0.113.1: severity = auth.info: setenv A b\\:c: deny\n");
    assert_eq!(w.len(), 2, "{w:?}");
}

#[test]
fn include_files_list_more_patterns() {
    let files = HashMap::from([
        (
            "/etc/pptpd.blocked",
            "203.0.113.1 203.0.113.2\n198.51.100.0/24\n",
        ),
        ("/etc/nested", "/etc/pptpd.blocked 192.0.2.9\n"),
        ("/etc/loop", "/etc/loop\n"),
    ]);
    let (deny, w) = table_with("pptpd: /etc/nested\n", DENY, Kind::Deny, &files);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        deny.includes(),
        [PathBuf::from("/etc/nested"), "/etc/pptpd.blocked".into()]
    );
    let allow = Table::empty(Path::new(ALLOW), Kind::Allow);
    for (client, denied) in [
        ("203.0.113.2", true),
        ("198.51.100.7", true),
        ("192.0.2.9", true),
        ("192.0.2.10", false),
    ] {
        let req = Request {
            daemon: DAEMON,
            client: client.parse().unwrap(),
            server: None,
        };
        assert_eq!(
            !hosts_access(&allow, &deny, &req).granted,
            denied,
            "{client}"
        );
    }
    let (_, w) = table_with("pptpd: /etc/loop\n", DENY, Kind::Deny, &files);
    assert!(w[0].contains("nest deeper"), "{w:?}");
    let (_, w) = table_with("pptpd: /etc/missing\n", DENY, Kind::Deny, &files);
    assert!(
        w[0].starts_with("/etc/hosts.deny:1: cannot read /etc/missing"),
        "{w:?}"
    );
}

#[test]
fn hostile_input_is_only_warnings() {
    for text in [
        ":::::::",
        "\\",
        "\\\n\\\n",
        "[[[[:]]]]",
        "ALL: [::1]/128 [2001:db8::]: allow",
        "ALL:ALL:\\:\\:",
        "EXCEPT EXCEPT EXCEPT: EXCEPT",
        "\u{0}: \u{ff}",
    ] {
        let _ = warnings(text);
        let _ = check(text, text, DAEMON, "198.51.100.7");
    }
    assert!(granted("", "ALL: [::1]/128 [2001:db8::]\n", "198.51.100.7"));
}
