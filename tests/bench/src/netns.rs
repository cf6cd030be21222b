//! The benchmark's network: two namespaces joined by a veth pair, with addresses from the
//! benchmarking range (RFC 2544's 198.18.0.0/15) and no route out. Side A is the client
//! side (feeder and client, or the scripted PNS), side B the server side (scripted PAC, or
//! the server under test).

use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use crate::procstat;

pub const NS_A: &str = "pbA";
pub const NS_B: &str = "pbB";
/// The server side's address.
pub const ADDR_B: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
/// The client side's main address.
pub const ADDR_A: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
/// The first of the addresses the scripted PNS's tunnels come from, one each.
pub const TUNNEL_SRC: Ipv4Addr = Ipv4Addr::new(198, 18, 16, 1);
/// The veth pair's MTU: no benchmark packet is ever fragmented.
pub const VETH_MTU: u32 = 9000;
/// How many tunnel source addresses side A gets.
pub const TUNNEL_ADDRS: u32 = 1024;

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Creates both namespaces afresh (removing leftovers of an interrupted run first).
pub fn create() -> Result<(), String> {
    destroy();
    ip(&["netns", "add", NS_A])?;
    ip(&["netns", "add", NS_B])?;
    ip(&[
        "link", "add", "vA", "netns", NS_A, "type", "veth", "peer", "name", "vB", "netns", NS_B,
    ])?;
    for (ns, dev, addr) in [(NS_A, "vA", ADDR_A), (NS_B, "vB", ADDR_B)] {
        ip(&["-n", ns, "addr", "add", &format!("{addr}/15"), "dev", dev])?;
        // The floor relay's frames travel still HDLC-escaped, up to 13 % longer than the
        // bare frames a helper sends: at 1400 B they pass 1500 bytes, and fragments would
        // charge the floor for reassembly no helper pays. The helpers' packets (at most
        // 1436 bytes) are the same at either MTU.
        ip(&["-n", ns, "link", "set", dev, "mtu", &VETH_MTU.to_string()])?;
        ip(&["-n", ns, "link", "set", dev, "up"])?;
        ip(&["-n", ns, "link", "set", "lo", "up"])?;
    }
    let batch: String = (0..TUNNEL_ADDRS)
        .map(|i| {
            let a = Ipv4Addr::from(u32::from(TUNNEL_SRC) + i);
            format!("addr add {a}/15 dev vA\n")
        })
        .collect();
    let path = std::env::temp_dir().join("pptp-bench-addrs");
    std::fs::write(&path, batch).map_err(|e| format!("{}: {e}", path.display()))?;
    let r = ip(&["-n", NS_A, "-batch", &path.to_string_lossy()]);
    let _ = std::fs::remove_file(&path);
    r
}

/// Kills whatever still runs in the namespaces.
pub fn kill_all() {
    for ns in [NS_A, NS_B] {
        let Some(id) = id(ns) else { continue };
        for pid in procstat::pids_in(&id) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Removes the namespaces and everything in them.
pub fn destroy() {
    kill_all();
    for ns in [NS_A, NS_B] {
        let _ = ip(&["netns", "del", ns]);
    }
}

/// The namespace's identity, to find its processes by.
pub fn id(ns: &str) -> Option<String> {
    procstat::netns_id(std::path::Path::new(&format!("/run/netns/{ns}")))
}
