//! The host route to the server that keeps GRE and TCP off the tunnel once pppd adds a
//! default route through it (pptp-linux routing.c). pptp-linux never removes its route
//! ("NB: the route added by pptp is currently not deleted at exit!"); we remove ours.

use std::io;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

/// `ip`, where Debian's iproute2 installs it (pptp-linux's IP_BINARY).
const IP: &str = "/bin/ip";

/// A host route we added, removed again on drop.
#[derive(Debug)]
pub struct HostRoute {
    spec: Vec<String>,
}

impl HostRoute {
    /// Adds a route to `server` through the gateway the kernel uses for it now.
    pub fn add(server: Ipv4Addr) -> io::Result<Self> {
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
        let spec = route_spec(&String::from_utf8_lossy(&out.stdout));
        if spec.is_empty() || host_route_exists(server) {
            // The server is local, or someone (another tunnel) already routes it: nothing
            // to add, and nothing of ours to remove later.
            return Ok(HostRoute { spec: Vec::new() });
        }
        run(&["route", "replace"], &spec)?;
        Ok(HostRoute { spec })
    }

    /// The route as `ip route` arguments (empty when none was needed).
    pub fn spec(&self) -> String {
        self.spec.join(" ")
    }
}

impl Drop for HostRoute {
    fn drop(&mut self) {
        if self.spec.is_empty() {
            return;
        }
        if let Err(e) = run(&["route", "del"], &self.spec) {
            log::warn!("route: could not remove host route {}: {e}", self.spec());
        }
    }
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
