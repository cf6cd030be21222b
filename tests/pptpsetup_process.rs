//! Process tests of the `pptpsetup` binary against a scratch `/etc/ppp`.
//!
//! Each test gets its own directory, named by `PPTPSETUP_PPP_DIR`, with an empty `peers/`
//! and, when it needs one, a fake `pppd` first on `PATH` that records its arguments. The
//! password prompt is tested on a real pseudo-terminal. Every wait has a deadline, and a
//! process still running at one is killed.

use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::termios::{LocalFlags, tcgetattr};
use nix::unistd::Pid;

const DEADLINE: Duration = Duration::from_secs(20);

/// A scratch pppd directory, removed on drop.
struct Root(PathBuf);

impl Root {
    fn new(name: &str) -> Root {
        let dir =
            std::env::temp_dir().join(format!("pptpsetup-process-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("peers")).unwrap();
        Root(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// pptpsetup with this root, stdin from /dev/null unless the caller says otherwise.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pptpsetup"));
        cmd.args(args)
            .env("PPTPSETUP_PPP_DIR", &self.0)
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.path("bin").display()),
            )
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with_input(args, None)
    }

    fn run_with_input(&self, args: &[&str], input: Option<&[u8]>) -> Output {
        let mut cmd = self.command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().expect("start pptpsetup");
        if let Some(input) = input {
            child.stdin.take().unwrap().write_all(input).unwrap();
        }
        let status = wait(&mut child);
        let mut out = Output {
            status,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        child
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut out.stdout)
            .unwrap();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_end(&mut out.stderr)
            .unwrap();
        out
    }

    /// Runs and expects success with nothing on stdout or stderr.
    fn ok(&self, args: &[&str]) {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "", "{args:?}");
        assert_eq!(text(&out.stderr), "", "{args:?}");
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn mode(&self, name: &str) -> u32 {
        fs::metadata(self.path(name)).unwrap().permissions().mode() & 0o7777
    }

    fn peers(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.path("peers"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    /// A fake pppd that records its arguments, one per line, and exits with `code`.
    fn fake_pppd(&self, code: i32) {
        fs::create_dir_all(self.path("bin")).unwrap();
        let script = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\nexit {code}\n",
            self.path("pppd-args").display()
        );
        let pppd = self.path("bin/pppd");
        fs::write(&pppd, script).unwrap();
        fs::set_permissions(&pppd, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn wait(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("pptpsetup did not exit within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn peers_file(tunnel: &str, server: &str, name: &str, encrypt: bool) -> String {
    format!(
        "# written by pptpsetup\npty \"/usr/sbin/pptp {server} --nolaunchpppd\"\nlock\nnoauth\n\
         nobsdcomp\nnodeflate\nname {name}\nremotename {tunnel}\nipparam {tunnel}\n{}",
        if encrypt { "require-mppe-128\n" } else { "" }
    )
}

fn entry(tunnel: &str, client: &str, secret: &str) -> String {
    format!("\n# added by pptpsetup for {tunnel}\n{client} {tunnel} {secret} *\n")
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
    "-c",
    "office-2",
    "-s",
    "192.0.2.1",
    "-d",
    "CORP",
    "-u",
    "bob",
    "-p",
    "pa ss\\\"w#rd$",
    "-e",
];

#[test]
fn create_two_tunnels_then_delete_one() {
    let root = Root::new("two");
    root.ok(VPN);
    assert_eq!(
        root.read("peers/vpn"),
        peers_file("vpn", "vpn.example.com", "alice", false)
    );
    assert_eq!(
        root.read("chap-secrets"),
        entry("vpn", "alice", "\"secret\"")
    );
    assert_eq!(root.mode("chap-secrets"), 0o600);
    assert_eq!(root.mode("peers/vpn"), 0o640);

    root.ok(OFFICE);
    let office_peers = peers_file("office-2", "192.0.2.1", "\"CORP\\\\bob\"", true);
    let office_entry = entry("office-2", "\"CORP\\\\bob\"", "\"pa ss\\\\\\\"w#rd$\"");
    assert_eq!(root.read("peers/office-2"), office_peers);
    assert_eq!(
        root.read("chap-secrets"),
        entry("vpn", "alice", "\"secret\"") + &office_entry
    );

    root.ok(&["--delete", "vpn"]);
    assert_eq!(root.peers(), ["office-2"]);
    assert_eq!(root.read("peers/office-2"), office_peers);
    assert_eq!(root.read("chap-secrets"), office_entry);
    assert_eq!(root.mode("chap-secrets"), 0o600);
    assert_eq!(root.mode("chap-secrets.bkp"), 0o600);
    assert_eq!(
        root.read("chap-secrets.bkp"),
        entry("vpn", "alice", "\"secret\"") + &office_entry
    );

    root.ok(&["--delete", "office-2"]);
    assert!(root.peers().is_empty());
    assert_eq!(root.read("chap-secrets"), "");
}

#[test]
fn existing_chap_secrets_is_appended_to_and_narrowed() {
    let root = Root::new("existing");
    let seed =
        "# Secrets for authentication using CHAP\n# client\tserver\tsecret\t\t\tIP addresses\n";
    fs::write(root.path("chap-secrets"), seed).unwrap();
    fs::set_permissions(root.path("chap-secrets"), fs::Permissions::from_mode(0o640)).unwrap();
    root.ok(VPN);
    assert_eq!(
        root.read("chap-secrets"),
        seed.to_owned() + &entry("vpn", "alice", "\"secret\"")
    );
    assert_eq!(root.mode("chap-secrets"), 0o600);
    root.ok(&["--delete", "vpn"]);
    assert_eq!(root.read("chap-secrets"), seed);
}

#[test]
fn bad_tunnel_names_are_refused_and_nothing_is_written() {
    let root = Root::new("badnames");
    fs::write(root.path("chap-secrets"), "keep\n").unwrap();
    fs::write(root.path("victim"), "keep\n").unwrap();
    for name in [
        "a/b",
        "..",
        ".",
        "",
        "../victim",
        "/etc/passwd",
        "-x",
        "a b",
        "vpn;id",
    ] {
        for action in ["--create", "--delete"] {
            let out = root.run(&[
                action,
                name,
                "--server",
                "h",
                "--username",
                "u",
                "--password",
                "p",
            ]);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(255), "{action} {name:?}: {err}");
            assert!(
                err.contains("pptpsetup: invalid tunnel name"),
                "{name:?}: {err}"
            );
            assert!(
                err.ends_with("Try 'pptpsetup --help' for more information.\n"),
                "{err}"
            );
        }
    }
    assert!(root.peers().is_empty());
    assert_eq!(root.read("chap-secrets"), "keep\n");
    assert_eq!(root.read("victim"), "keep\n");
}

#[test]
fn missing_or_wrong_options_exit_255() {
    let root = Root::new("usage");
    let cases: &[(&[&str], &str)] = &[
        (&[], "pptpsetup: too few arguments.\n"),
        (
            &["--create", "vpn"],
            "pptpsetup: invalid server: none given",
        ),
        (
            &["--create", "vpn", "--server", "h"],
            "pptpsetup: invalid username: none given",
        ),
        (
            &["--create"],
            "pptpsetup: option '--create' requires an argument\n",
        ),
        (
            &["--bogus", "--create", "vpn"],
            "pptpsetup: unrecognized option '--bogus'\n",
        ),
        (
            &["--create", "vpn", "--delete", "vpn"],
            "cannot be used together",
        ),
        (
            &[
                "--create",
                "vpn",
                "--server",
                "h",
                "--username",
                "u",
                "extra",
            ],
            "unexpected argument",
        ),
        (
            &["--create", "vpn", "--server", "h\"x", "--username", "u"],
            "invalid server 'h\\\"x'",
        ),
    ];
    for (args, message) in cases {
        let out = root.run(args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(255), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(
            err.ends_with("Try 'pptpsetup --help' for more information.\n"),
            "{err}"
        );
        assert_eq!(text(&out.stdout), "");
    }
    assert!(root.peers().is_empty());
    assert!(!root.path("chap-secrets").exists());
}

#[test]
fn help_goes_to_stdout_and_exits_0() {
    let root = Root::new("help");
    for args in [&["--help"][..], &["-h"], &["--create", "vpn", "--help"]] {
        let out = root.run(args);
        assert_eq!(out.status.code(), Some(0));
        let help = text(&out.stdout);
        assert!(
            help.starts_with("Usage:\n  pptpsetup --create TUNNEL --server SERVER"),
            "{help}"
        );
        assert!(help.contains("--delete TUNNEL"));
        assert_eq!(text(&out.stderr), "");
    }
    assert!(root.peers().is_empty());
}

#[test]
fn deleting_a_missing_tunnel_exits_with_the_errno() {
    let root = Root::new("missing");
    let out = root.run(&["--delete", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "pptpsetup: can't delete '{}': No such file or directory\n",
            root.path("peers/nope").display()
        )
    );
}

#[test]
fn a_piped_password_is_one_line_without_its_newline() {
    let root = Root::new("piped");
    let out = root.run_with_input(&VPN[..6], Some(b"s3 cr\"et\nnot this\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Password: ");
    assert_eq!(
        root.read("chap-secrets"),
        entry("vpn", "alice", "\"s3 cr\\\"et\"")
    );

    // No input at all is no password, and nothing is written.
    let root = Root::new("nothing-piped");
    let out = root.run_with_input(&VPN[..6], Some(b""));
    assert_eq!(out.status.code(), Some(255));
    assert!(text(&out.stderr).contains("invalid password"));
    assert!(root.peers().is_empty());
}

/// A pseudo-terminal for pptpsetup's stdin and stdout.
struct Terminal {
    master: OwnedFd,
    slave: OwnedFd,
    seen: Vec<u8>,
}

impl Terminal {
    fn new() -> Terminal {
        let pty = nix::pty::openpty(None, None).expect("openpty");
        Terminal {
            master: pty.master,
            slave: pty.slave,
            seen: Vec::new(),
        }
    }

    fn spawn(&self, root: &Root, args: &[&str]) -> Child {
        root.command(args)
            .stdin(Stdio::from(self.slave.try_clone().unwrap()))
            .stdout(Stdio::from(self.slave.try_clone().unwrap()))
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pptpsetup")
    }

    /// Reads what pptpsetup wrote until `pattern` shows up.
    fn read_until(&mut self, pattern: &[u8]) {
        let start = Instant::now();
        while !self.seen.windows(pattern.len()).any(|w| w == pattern) {
            assert!(
                start.elapsed() < DEADLINE,
                "no {:?} on the terminal; got {:?}",
                text(pattern),
                text(&self.seen)
            );
            let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(100u8)).unwrap() == 0 {
                continue;
            }
            let mut buf = [0u8; 256];
            let n = nix::unistd::read(&self.master, &mut buf).unwrap();
            self.seen.extend_from_slice(&buf[..n]);
        }
    }

    /// Reads what is left to read now.
    fn drain(&mut self) {
        loop {
            let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(100u8)).unwrap() == 0 {
                return;
            }
            let mut buf = [0u8; 256];
            match nix::unistd::read(&self.master, &mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => self.seen.extend_from_slice(&buf[..n]),
            }
        }
    }

    fn type_in(&self, bytes: &[u8]) {
        nix::unistd::write(&self.master, bytes).unwrap();
    }

    fn echo_is_on(&self) -> bool {
        tcgetattr(&self.slave)
            .unwrap()
            .local_flags
            .contains(LocalFlags::ECHO)
    }
}

#[test]
fn a_password_typed_on_a_terminal_is_not_echoed() {
    let root = Root::new("tty");
    let mut tty = Terminal::new();
    assert!(tty.echo_is_on());
    let mut child = tty.spawn(&root, &VPN[..6]);
    tty.read_until(b"Password: ");
    assert!(!tty.echo_is_on(), "echo is still on at the prompt");
    tty.type_in(b"hidden pw\\\n");
    let status = wait(&mut child);
    tty.drain();
    assert_eq!(status.code(), Some(0));
    assert!(tty.echo_is_on(), "echo was not restored");
    let seen = text(&tty.seen);
    assert!(
        !seen.contains("hidden"),
        "the password was echoed: {seen:?}"
    );
    assert_eq!(seen, "Password: \r\n");
    assert_eq!(
        root.read("chap-secrets"),
        entry("vpn", "alice", "\"hidden pw\\\\\"")
    );
}

#[test]
fn ctrl_c_at_the_prompt_restores_echo_and_writes_nothing() {
    let root = Root::new("tty-int");
    let mut tty = Terminal::new();
    let mut child = tty.spawn(&root, &VPN[..6]);
    tty.read_until(b"Password: ");
    assert!(!tty.echo_is_on());
    tty.type_in(b"half");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = wait(&mut child);
    assert_eq!(status.signal(), Some(Signal::SIGINT as i32), "{status:?}");
    assert!(tty.echo_is_on(), "echo was not restored");
    assert!(root.peers().is_empty());
    assert!(!root.path("chap-secrets").exists());
}

#[test]
fn start_runs_pppd_call_and_passes_its_status_on() {
    let root = Root::new("start");
    root.fake_pppd(0);
    let mut args = VPN.to_vec();
    args.push("--start");
    root.ok(&args);
    assert_eq!(root.read("pppd-args"), "call\nvpn\nupdetach\n");
    assert_eq!(
        root.read("peers/vpn"),
        peers_file("vpn", "vpn.example.com", "alice", false)
    );

    // pptp-linux exits 0 whatever pppd did; the status tells whether the tunnel came up.
    root.fake_pppd(19);
    let out = root.run(&args);
    assert_eq!(out.status.code(), Some(19));

    // No pppd at all: the files are written, and the failure is reported.
    fs::remove_file(root.path("bin/pppd")).unwrap();
    let out = root.run(&args);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "pptpsetup: can't run pppd: No such file or directory\n"
    );
    // Each --create replaced the entry: still one.
    assert_eq!(
        root.read("chap-secrets"),
        entry("vpn", "alice", "\"secret\"")
    );
}

#[test]
fn without_start_pppd_is_not_run() {
    let root = Root::new("nostart");
    root.fake_pppd(0);
    root.ok(VPN);
    assert!(!Path::new(&root.path("pppd-args")).exists());
}
