//! The host route to the server that keeps GRE and TCP off the tunnel once pppd adds a
//! default route through it (pptp-linux routing.c). pptp-linux never removes its route
//! ("NB: the route added by pptp is currently not deleted at exit!"); we remove ours when
//! the last of our tunnels to that server ends.

use std::fs;
use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::fcntl::{Flock, FlockArg};

/// `ip`, where Debian's iproute2 installs it (pptp-linux's IP_BINARY).
const IP: &str = "/bin/ip";

/// Where tunnels to the same server note that they share its host route: a directory per
/// server address, a file per pptp process, and a lock file (`flock`) around every change.
const SHARED_DIR: &str = "/run/pptp-rs/routes";

/// A host route to a server, shared by every tunnel of ours to that server and removed
/// when the last of them ends.
///
/// pptp-linux never removes its route; removing ours whenever one tunnel ends would cut
/// the others to the same server off the moment the first one ends (once pppd's default
/// route goes through the tunnel), so each tunnel registers under the server's address and
/// only the last one out removes the route.
#[derive(Debug)]
pub struct HostRoute {
    server: Ipv4Addr,
    spec: Vec<String>,
    /// Our registration, when the route is ours to share.
    holder: Option<PathBuf>,
    /// `--quirks noresetroute`: leave the route in place at exit, as pptp-linux did.
    keep: bool,
}

impl HostRoute {
    /// Adds (or joins) a route to `server` through the gateway the kernel uses for it now.
    pub fn add(server: Ipv4Addr) -> io::Result<Self> {
        let dir = PathBuf::from(SHARED_DIR).join(server.to_string());
        fs::create_dir_all(&dir)?;
        let _lock = lock(&dir)?;
        let holders = live_holders(&dir);
        let mut route = HostRoute {
            server,
            spec: Vec::new(),
            holder: None,
            keep: false,
        };
        if let Some(spec) = holders.into_iter().find_map(|(_, spec)| spec) {
            // Another tunnel of ours routes this server: share its route.
            route.spec = spec;
        } else {
            let spec = route_spec(&route_get(server)?);
            if spec.is_empty() || host_route_exists(server) {
                // The server is local, or someone else routes it: nothing to add, and
                // nothing of ours to remove later.
                return Ok(route);
            }
            run(&["route", "replace"], &spec)?;
            route.spec = spec;
        }
        let holder = dir.join(std::process::id().to_string());
        fs::write(&holder, route.spec.join(" "))?;
        route.holder = Some(holder);
        Ok(route)
    }

    /// Leaves the route in place when this tunnel ends (`--quirks noresetroute`).
    pub fn keep_at_exit(&mut self) {
        self.keep = true;
    }

    /// The route as `ip route` arguments (empty when none was needed).
    pub fn spec(&self) -> String {
        self.spec.join(" ")
    }
}

impl Drop for HostRoute {
    fn drop(&mut self) {
        let Some(holder) = self.holder.take() else {
            return;
        };
        let dir = PathBuf::from(SHARED_DIR).join(self.server.to_string());
        let Ok(_lock) = lock(&dir) else {
            return;
        };
        let _ = fs::remove_file(&holder);
        if self.keep || !live_holders(&dir).is_empty() {
            return;
        }
        if let Err(e) = run(&["route", "del"], &self.spec) {
            log::warn!("route: could not remove host route {}: {e}", self.spec());
        }
    }
}

/// Takes the lock on a server's directory (released when the returned file closes).
fn lock(dir: &Path) -> io::Result<Flock<fs::File>> {
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".lock"))?;
    Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| e.into())
}

/// The tunnels registered under a server that still run, with the route they share; the
/// registrations of processes that are gone are removed.
fn live_holders(dir: &Path) -> Vec<(u32, Option<Vec<String>>)> {
    let mut live = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(entry.path());
            continue;
        }
        let spec = fs::read_to_string(entry.path())
            .ok()
            .map(|s| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .filter(|s| !s.is_empty());
        live.push((pid, spec));
    }
    live
}

fn route_get(server: Ipv4Addr) -> io::Result<String> {
    let out = Command::new(IP)
        .args(["route", "get", &server.to_string()])
        .stderr(Stdio::piped())
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "ip route get {server}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn host_route_exists(server: Ipv4Addr) -> bool {
    Command::new(IP)
        .args(["route", "show", "exact", &format!("{server}/32")])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| !o.stdout.trim_ascii().is_empty())
}

fn run(verb: &[&str], spec: &[String]) -> io::Result<()> {
    let out = Command::new(IP)
        .args(verb)
        .args(spec)
        .stderr(Stdio::piped())
        .output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "ip {} {}: {}",
            verb.join(" "),
            spec.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// The first line of `ip route get` as arguments for `ip route replace`: everything up to
/// the cache flags, without `src`-less extras such as `uid` (iproute2 >= 4.10 prints
/// `uid 0`, which `replace` rejects; pptp-linux NEWS 1.10.0).
fn route_spec(get_output: &str) -> Vec<String> {
    let line = get_output.lines().next().unwrap_or("");
    let mut spec = Vec::new();
    for w in line.split_whitespace() {
        match w {
            "uid" | "cache" | "expires" | "mtu" | "rtt" => break,
            _ => spec.push(w.to_string()),
        }
    }
    // "local" and "broadcast" routes need no host route (the server is this machine).
    if spec
        .first()
        .is_some_and(|w| w == "local" || w == "broadcast")
    {
        spec.clear();
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::route_spec;

    #[test]
    fn keeps_destination_gateway_device_and_source() {
        let spec = route_spec(
            "203.0.113.9 via 198.51.100.254 dev eth0 src 198.51.100.11 uid 0 \n    cache \n",
        );
        assert_eq!(
            spec.join(" "),
            "203.0.113.9 via 198.51.100.254 dev eth0 src 198.51.100.11"
        );
    }

    #[test]
    fn directly_connected_server() {
        let spec = route_spec("198.51.100.1 dev eth0 src 198.51.100.11 uid 0\n    cache\n");
        assert_eq!(spec.join(" "), "198.51.100.1 dev eth0 src 198.51.100.11");
    }

    #[test]
    fn local_server_needs_no_route() {
        assert!(route_spec("local 127.0.0.1 dev lo src 127.0.0.1 uid 0\n").is_empty());
        assert!(route_spec("").is_empty());
    }
}
