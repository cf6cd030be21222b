//! create and delete against a scratch `/etc/ppp`, compared with what pptp-linux wrote.

use super::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;

/// A file of tests/vectors/pptpsetup/perl: what pptp-linux's pptpsetup wrote.
macro_rules! perl {
    ($path:literal) => {
        &include_bytes!(concat!("../../tests/vectors/pptpsetup/perl/", $path))[..]
    };
}

/// A scratch pppd directory with an empty `peers/`, removed on drop.
struct Root {
    paths: Paths,
}

impl Root {
    fn new(name: &str) -> Root {
        let dir = std::env::temp_dir().join(format!("pptp-rs-setup-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("peers")).unwrap();
        Root {
            paths: Paths::new(dir),
        }
    }

    /// Runs a command line; a missing password is asked for and is "typed".
    fn run(&self, args: &[&str]) -> Result<i32, Error> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        run(&args, &self.paths, &mut || {
            panic!("no password should be asked for")
        })
    }

    fn run_typing(&self, args: &[&str], typed: &[u8]) -> Result<i32, Error> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let typed = typed.to_vec();
        run(&args, &self.paths, &mut || Ok(typed.clone()))
    }

    fn ok(&self, args: &[&str]) {
        assert_eq!(self.run(args).unwrap(), 0, "{args:?}");
    }

    fn secrets(&self) -> Vec<u8> {
        fs::read(self.paths.chap_secrets()).unwrap()
    }

    fn peers(&self, tunnel: &str) -> Vec<u8> {
        fs::read(self.paths.peers_file(tunnel)).unwrap()
    }

    fn mode(&self, path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.paths.ppp_dir);
    }
}

const VPN: &[&str] = &[
    "--create",
    "vpn",
    "--server",
    "vpn.example.com",
    "--username",
    "alice",
    "--password",
    "secret",
];

const OFFICE: &[&str] = &[
    "--create",
    "office",
    "--server",
    "192.0.2.1",
    "--username",
    "bob",
    "--password",
    "p@ss w0rd",
    "--encrypt",
];

#[test]
fn paths_default_to_etc_ppp() {
    let p = Paths::new(PPP_DIR);
    assert_eq!(p.peers_file("vpn"), Path::new("/etc/ppp/peers/vpn"));
    assert_eq!(p.chap_secrets(), Path::new("/etc/ppp/chap-secrets"));
    assert_eq!(p.chap_backup(), Path::new("/etc/ppp/chap-secrets.bkp"));
}

#[test]
fn create_writes_what_pptp_linux_writes() {
    let root = Root::new("create");
    root.ok(VPN);
    assert_eq!(root.peers("vpn"), perl!("basic/peers/vpn"));
    assert_eq!(root.secrets(), perl!("basic/chap-secrets"));
    // pptp-linux: 0640 for both (perl/basic/modes); chap-secrets is 0600 here.
    assert_eq!(root.mode(&root.paths.peers_file("vpn")), 0o640);
    assert_eq!(root.mode(&root.paths.chap_secrets()), 0o600);
    assert!(!root.paths.chap_backup().exists());

    root.ok(OFFICE);
    assert_eq!(root.peers("office"), perl!("two/peers/office"));
    assert_eq!(root.peers("vpn"), perl!("two/peers/vpn"));
    assert_eq!(root.secrets(), perl!("two/chap-secrets"));
}

#[test]
fn every_spelling_writes_the_same_files() {
    for (args, dir) in [
        (
            &[
                "-c",
                "vpn",
                "-s",
                "vpn.example.com",
                "-u",
                "alice",
                "-p",
                "secret",
                "-e",
            ][..],
            "short",
        ),
        (
            &[
                "--cr=vpn",
                "--se=vpn.example.com",
                "--us",
                "alice",
                "--pa=secret",
                "--en",
            ],
            "abbrev",
        ),
    ] {
        let root = Root::new(dir);
        root.ok(args);
        assert_eq!(root.peers("vpn"), perl!("short/peers/vpn"), "{dir}");
        assert_eq!(root.secrets(), perl!("short/chap-secrets"), "{dir}");
    }
    assert_eq!(perl!("short/peers/vpn"), perl!("abbrev/peers/vpn"));
}

#[test]
fn special_characters_the_reference_handles_are_written_alike() {
    let root = Root::new("special");
    root.ok(&[
        "--create",
        "vpn",
        "--server",
        "vpn.example.com",
        "--username",
        "al$ice",
        "--password",
        "a#b$c d'e",
    ]);
    assert_eq!(root.peers("vpn"), perl!("special/peers/vpn"));
    assert_eq!(root.secrets(), perl!("special/chap-secrets"));
}

#[test]
fn a_typed_password_has_no_newline() {
    let root = Root::new("typed");
    let args = &VPN[..6];
    assert_eq!(root.run_typing(args, b"secret").unwrap(), 0);
    assert_eq!(root.peers("vpn"), perl!("typed/peers/vpn"));
    let perl = String::from_utf8_lossy(perl!("typed/chap-secrets")).replace("\\x0a", "");
    assert_eq!(root.secrets(), perl.as_bytes());
}

#[test]
fn a_password_pppd_cannot_read_writes_nothing() {
    let root = Root::new("badpw");
    let e = root.run_typing(&VPN[..6], b"@/etc/shadow").unwrap_err();
    assert_eq!(e.exit_code(), 255);
    assert!(
        e.to_string().starts_with("pptpsetup: invalid password: "),
        "{e}"
    );
    assert!(!root.paths.peers_file("vpn").exists());
    assert!(!root.paths.chap_secrets().exists());
}

#[test]
fn delete_removes_the_tunnel_and_only_it() {
    let root = Root::new("delete");
    root.ok(VPN);
    root.ok(OFFICE);
    let before = root.secrets();
    root.ok(&["--delete", "vpn"]);
    assert!(!root.paths.peers_file("vpn").exists());
    assert_eq!(root.peers("office"), perl!("two-delete-vpn/peers/office"));
    // pptp-linux leaves the deleted block's blank line (perl/two-delete-vpn).
    assert_eq!(root.secrets(), perl!("encrypt/chap-secrets"));
    assert_eq!(
        [&b"\n"[..], &root.secrets()].concat(),
        perl!("two-delete-vpn/chap-secrets")
    );
    assert_eq!(fs::read(root.paths.chap_backup()).unwrap(), before);
    assert_eq!(root.mode(&root.paths.chap_secrets()), 0o600);
    assert_eq!(root.mode(&root.paths.chap_backup()), 0o600);

    root.ok(&["--delete", "office"]);
    assert_eq!(root.secrets(), b"");
}

#[test]
fn delete_keeps_other_tunnels_and_users_that_pptp_linux_deletes() {
    let root = Root::new("seeded");
    let seed = b"# Secrets for authentication using CHAP\n\
                 # client\tserver\tsecret\t\t\tIP addresses\n\
                 carol\tvpn-2\t\"x\"\t*\n\
                 vpn\tremote\t\"pw\"\t*\n";
    fs::write(root.paths.chap_secrets(), seed).unwrap();
    fs::set_permissions(root.paths.chap_secrets(), fs::Permissions::from_mode(0o600)).unwrap();
    root.ok(VPN);
    assert_eq!(root.secrets(), perl!("seeded-create/chap-secrets"));
    root.ok(&[
        "--create",
        "office",
        "--server",
        "192.0.2.1",
        "--username",
        "bob",
        "--password",
        "my vpn",
    ]);
    assert_eq!(root.secrets(), perl!("seeded-two/chap-secrets"));
    root.ok(&["--delete", "vpn"]);
    let office = crate::pptpsetup::secrets::entry("office", b"bob", b"my vpn");
    assert_eq!(root.secrets(), [&seed[..], &office].concat());
    // What pptp-linux left: no carol, no "vpn remote", no bob.
    assert_eq!(
        perl!("seeded-delete-vpn/chap-secrets"),
        b"# Secrets for authentication using CHAP\n\
          # client\tserver\tsecret\t\t\tIP addresses\n\
          \n\
          \n\
          # added by pptpsetup for office\n"
    );
}

#[test]
fn create_again_replaces_the_entry() {
    let root = Root::new("again");
    root.ok(VPN);
    root.ok(OFFICE);
    let mut again = VPN.to_vec();
    again[7] = "new secret";
    root.ok(&again);
    let office = crate::pptpsetup::secrets::entry("office", b"bob", b"p@ss w0rd");
    let vpn = crate::pptpsetup::secrets::entry("vpn", b"alice", b"new secret");
    assert_eq!(root.secrets(), [&office[..], &vpn].concat());
    assert_eq!(
        fs::read(root.paths.chap_backup()).unwrap(),
        perl!("two/chap-secrets")
    );

    // With another user, the old user's entry goes too (found through the old peers file).
    let mut other = VPN.to_vec();
    other[5] = "carol";
    fs::write(
        root.paths.chap_secrets(),
        [&office[..], b"alice vpn \"by hand\" *\n"].concat(),
    )
    .unwrap();
    root.ok(&other);
    let carol = crate::pptpsetup::secrets::entry("vpn", b"carol", b"secret");
    assert_eq!(root.secrets(), [&office[..], &carol].concat());
    assert_eq!(peers::user_name(&root.peers("vpn")).unwrap(), b"carol");
}

#[test]
fn permissions_are_narrowed_never_widened() {
    let root = Root::new("modes");
    fs::write(root.paths.chap_secrets(), b"# mine\n").unwrap();
    let secrets = root.paths.chap_secrets();
    fs::set_permissions(&secrets, fs::Permissions::from_mode(0o644)).unwrap();
    root.ok(VPN);
    assert_eq!(root.mode(&secrets), 0o600);
    fs::set_permissions(&secrets, fs::Permissions::from_mode(0o400)).unwrap();
    root.ok(&["--delete", "vpn"]);
    assert_eq!(root.mode(&secrets), 0o400);
    assert_eq!(root.mode(&root.paths.chap_backup()), 0o400);
    assert_eq!(fs::read(&secrets).unwrap(), b"# mine\n");

    // An existing peers file keeps its mode, as with pptp-linux's `open(">")`.
    fs::write(root.paths.peers_file("vpn"), b"old").unwrap();
    fs::set_permissions(
        root.paths.peers_file("vpn"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    fs::set_permissions(&secrets, fs::Permissions::from_mode(0o600)).unwrap();
    root.ok(VPN);
    assert_eq!(root.mode(&root.paths.peers_file("vpn")), 0o600);
    assert_eq!(root.peers("vpn"), perl!("basic/peers/vpn"));
}

#[test]
fn deleting_a_missing_tunnel_fails_as_in_pptp_linux() {
    let root = Root::new("missing");
    fs::write(root.paths.chap_secrets(), b"untouched\n").unwrap();
    let e = root.run(&["--delete", "nope"]).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert_eq!(
        e.to_string(),
        format!(
            "pptpsetup: can't delete '{}': No such file or directory",
            root.paths.peers_file("nope").display()
        )
    );
    assert_eq!(root.secrets(), b"untouched\n");
}

#[test]
fn deleting_without_chap_secrets_removes_the_peers_file() {
    let root = Root::new("nosecrets");
    root.ok(VPN);
    fs::remove_file(root.paths.chap_secrets()).unwrap();
    root.ok(&["--delete", "vpn"]);
    assert!(!root.paths.peers_file("vpn").exists());
    assert!(!root.paths.chap_secrets().exists());
}

#[test]
fn a_missing_peers_directory_leaves_chap_secrets_alone() {
    let root = Root::new("nopeers");
    fs::remove_dir(root.paths.ppp_dir.join("peers")).unwrap();
    let e = root.run(VPN).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("can't write to"), "{e}");
    assert!(!root.paths.chap_secrets().exists());
}

#[test]
fn usage_errors_exit_255() {
    let root = Root::new("usage");
    for args in [
        &[][..],
        &["--bogus"],
        &["--create", "a/b"],
        &["--create", "v", "--server", "h"],
    ] {
        let e = root.run(args).unwrap_err();
        assert_eq!(e.exit_code(), 255, "{args:?}");
        assert!(matches!(e, Error::Usage(_)));
    }
    assert_eq!(
        fs::read_dir(root.paths.ppp_dir.join("peers"))
            .unwrap()
            .count(),
        0
    );
}
