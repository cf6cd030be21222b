//! hosts.allow and hosts.deny as the server holds them: read from disk, parsed, and read
//! again when one of them (or a file their patterns include) changes.

use std::fs;
use std::io::ErrorKind;
use std::net::Ipv4Addr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{DAEMON, Decision, Kind, Request, Table, hosts_access};

/// Default `hosts-allow` (libwrap's HOSTS_ALLOW).
pub const DEFAULT_ALLOW: &str = "/etc/hosts.allow";
/// Default `hosts-deny` (libwrap's HOSTS_DENY).
pub const DEFAULT_DENY: &str = "/etc/hosts.deny";

/// What a file looked like when it was read: a rewrite, a replace by rename or a removal
/// changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    dev: u64,
    ino: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let m = fs::metadata(path).ok()?;
    Some(Stamp {
        modified: m.modified().ok(),
        len: m.len(),
        dev: m.dev(),
        ino: m.ino(),
    })
}

/// The two tables and what they were read from.
#[derive(Debug)]
pub struct HostsFiles {
    allow_path: Option<PathBuf>,
    deny_path: Option<PathBuf>,
    allow: Table,
    deny: Table,
    /// Every file read (tables and includes) and its stamp then (None: it was missing).
    stamps: Vec<(PathBuf, Option<Stamp>)>,
}

impl HostsFiles {
    /// Reads the tables (`None`: that file is not consulted). Returns them and the
    /// warnings, one line each, ready to log. Never fails: a missing file is an empty one,
    /// as in libwrap; one that cannot be read is a warning and empty.
    pub fn load(allow: Option<&Path>, deny: Option<&Path>) -> (HostsFiles, Vec<String>) {
        let mut warnings = Vec::new();
        let mut stamps = Vec::new();
        let mut table = |path: Option<&Path>, kind: Kind, fallback: &str| match path {
            None => Table::empty(Path::new(fallback), kind),
            Some(path) => {
                let (table, w) = read_table(path, kind, &mut stamps);
                warnings.extend(w);
                table
            }
        };
        let allow_table = table(allow, Kind::Allow, DEFAULT_ALLOW);
        let deny_table = table(deny, Kind::Deny, DEFAULT_DENY);
        let files = HostsFiles {
            allow_path: allow.map(Path::to_owned),
            deny_path: deny.map(Path::to_owned),
            allow: allow_table,
            deny: deny_table,
            stamps,
        };
        (files, warnings)
    }

    /// Whether a file read changed since (a stat of each: cheap enough for every accept).
    pub fn changed(&self) -> bool {
        self.stamps.iter().any(|(path, then)| stamp(path) != *then)
    }

    /// Reads the tables again from the same paths.
    pub fn reload(&self) -> (HostsFiles, Vec<String>) {
        HostsFiles::load(self.allow_path.as_deref(), self.deny_path.as_deref())
    }

    /// Whether `client`, connecting to our `server` address, may talk to pptpd.
    pub fn check(&self, client: Ipv4Addr, server: Option<Ipv4Addr>) -> Decision<'_> {
        let request = Request {
            daemon: DAEMON,
            client,
            server,
        };
        hosts_access(&self.allow, &self.deny, &request)
    }

    /// One line for the log: which files apply and how many rules each has.
    pub fn summary(&self) -> String {
        let one = |path: &Option<PathBuf>, table: &Table| match path {
            Some(p) => format!("{} rules={}", p.display(), table.len()),
            None => format!("{} off", table.file.display()),
        };
        format!(
            "{} {}",
            one(&self.allow_path, &self.allow),
            one(&self.deny_path, &self.deny)
        )
    }
}

fn read_table(
    path: &Path,
    kind: Kind,
    stamps: &mut Vec<(PathBuf, Option<Stamp>)>,
) -> (Table, Vec<String>) {
    stamps.push((path.to_owned(), stamp(path)));
    let text = match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == ErrorKind::NotFound => return (Table::empty(path, kind), vec![]),
        Err(e) => {
            let why = format!(
                "{}: cannot read: {e}; no rule of it applies (check its permissions)",
                path.display()
            );
            return (Table::empty(path, kind), vec![why]);
        }
    };
    let mut read = |p: &Path| {
        stamps.push((p.to_owned(), stamp(p)));
        fs::read(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| e.to_string())
    };
    Table::parse(&text, path, kind, DAEMON, &mut read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_and_changes_seen() {
        let dir = std::env::temp_dir().join(format!("pptp-rs-hosts-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let (allow, deny, list) = (dir.join("allow"), dir.join("deny"), dir.join("list"));
        fs::write(&deny, format!("pptpd: {}\n", list.display())).unwrap();
        fs::write(&list, "198.51.100.7\n").unwrap();
        let (files, w) = HostsFiles::load(Some(&allow), Some(&deny));
        assert!(w.is_empty(), "{w:?}");
        let client: Ipv4Addr = "198.51.100.7".parse().unwrap();
        assert!(!files.check(client, None).granted);
        assert!(!files.changed());
        fs::write(&list, "198.51.100.8\n").unwrap();
        assert!(files.changed(), "an included file changed");
        let (files, _) = files.reload();
        assert!(files.check(client, None).granted);
        fs::write(&allow, "ALL: ALL\n").unwrap();
        assert!(files.changed(), "a missing file appeared");
        let (files, _) = HostsFiles::load(None, None);
        assert!(files.check(client, None).granted);
        assert!(files.summary().contains("off"));
        let _ = fs::remove_dir_all(&dir);
    }
}
