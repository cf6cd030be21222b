//! What the helper under test costs, read from /proc: CPU time, memory, wakeups, and the
//! raw-socket drops of its network namespace.
//!
//! The helper is every process in the benchmark's namespace whose name is in a list
//! (`pptp`; pptp-linux renames its two processes `pptpgw` and `pptpcm`, and both count;
//! `pptpd` and `pptpctrl` for the servers). Stand-in pppds and load tools are never counted.

use std::fs;
use std::path::Path;

/// The network namespace `path` (a /proc/PID/ns/net or /run/netns/NAME) refers to.
pub fn netns_id(path: &Path) -> Option<String> {
    // Both kinds of path name the same inode; readlink works on the /proc ones only.
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path)
        .ok()
        .map(|m| format!("{}:{}", m.dev(), m.ino()))
}

/// Pids of every process in namespace `netns`.
pub fn pids_in(netns: &str) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| netns_id(Path::new(&format!("/proc/{pid}/ns/net"))).as_deref() == Some(netns))
        .collect()
}

/// Pids of processes in namespace `netns` named one of `names`.
pub fn helper_pids(netns: &str, names: &[&str]) -> Vec<u32> {
    pids_in(netns)
        .into_iter()
        .filter(|pid| {
            let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            names.contains(&comm.trim())
        })
        .collect()
}

/// One reading of a set of processes, summed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// Time on CPU, ns (/proc/PID/schedstat), user and kernel, syscalls included.
    pub cpu_ns: u64,
    /// Context switches, voluntary and not (each a wakeup or a preemption).
    pub switches: u64,
    /// Resident set, KiB.
    pub rss_kib: u64,
    /// Proportional set (shared pages split among their users), KiB.
    pub pss_kib: u64,
    /// Private dirty pages, KiB: what the process itself allocated and wrote.
    pub private_dirty_kib: u64,
    /// Processes counted.
    pub processes: usize,
}

/// Reads the CPU counters only: cheap enough to do at a window's edges.
pub fn cpu(pids: &[u32]) -> Usage {
    let mut u = Usage::default();
    for pid in pids {
        let Ok(s) = fs::read_to_string(format!("/proc/{pid}/schedstat")) else {
            continue;
        };
        u.cpu_ns += s
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        u.processes += 1;
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        u.switches += field(&status, "voluntary_ctxt_switches:")
            + field(&status, "nonvoluntary_ctxt_switches:");
    }
    u
}

/// Reads CPU and memory.
pub fn full(pids: &[u32]) -> Usage {
    let mut u = cpu(pids);
    for pid in pids {
        let rollup = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        u.rss_kib += field(&rollup, "Rss:");
        u.pss_kib += field(&rollup, "Pss:");
        u.private_dirty_kib += field(&rollup, "Private_Dirty:");
    }
    u
}

/// Total drops of the raw sockets in `pid`'s network namespace (/proc/PID/net/raw, last
/// column): datagrams the kernel had no room for because the helper read too slowly.
pub fn raw_drops(pid: u32) -> u64 {
    let table = fs::read_to_string(format!("/proc/{pid}/net/raw")).unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

/// The number after `key` in a /proc "Key: value" text.
fn field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        let u = full(&[me]);
        assert_eq!(u.processes, 1);
        assert!(u.cpu_ns > 0 && u.rss_kib > 0 && u.pss_kib > 0);
        assert_eq!(field("Rss:   1234 kB\nPss: 5 kB\n", "Pss:"), 5);
        let ns = netns_id(Path::new("/proc/self/ns/net")).unwrap();
        let comm = fs::read_to_string("/proc/self/comm").unwrap();
        assert!(helper_pids(&ns, &[comm.trim()]).contains(&me));
    }
}
