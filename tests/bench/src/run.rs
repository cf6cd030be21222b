//! One measured run: start the roles in their namespaces with a shared window, read the
//! helper's cost from /proc at the window's edges, and turn the result lines into a
//! [`Sample`].

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::netns::{self, ADDR_B, NS_A, NS_B, TUNNEL_SRC};
use crate::procstat::{self, Usage};
use crate::util::{Args, now_ns, parse_report, pin, sleep_until, wait_until};

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

/// Which implementation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Imp {
    Ours,
    Ref,
    /// The floor relay (floor.rs): clients only.
    Floor,
}

/// Where the programs are.
#[derive(Debug, Clone)]
pub struct Paths {
    pub bench: PathBuf,
    pub ours_pptp: PathBuf,
    pub ours_pptpd: PathBuf,
    pub ref_pptp: PathBuf,
    pub ref_pptpd: PathBuf,
    pub dir: PathBuf,
}

/// What one run does.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub server: bool,
    /// "tx" (pppd → GRE), "rx" (GRE → pppd) or "idle".
    pub mode: &'static str,
    pub payload: usize,
    pub per_frame: bool,
    /// Sync framing (`--sync`, pppd's `sync`): bare frames on the pty instead of HDLC.
    pub sync: bool,
    /// TX: the stand-in writes as pppd does once LCP has agreed on ACCM 0 (only 0x7d and
    /// 0x7e escaped) and CCP on MPPE (random payloads); else it escapes every control
    /// character, as pppd does before LCP.
    pub accm0: bool,
    pub pps: u64,
    pub reorder: u32,
    pub drop_every: u32,
    pub tunnels: usize,
    pub secs: u64,
}

impl Spec {
    pub fn new(name: &str, server: bool, mode: &'static str, payload: usize) -> Spec {
        Spec {
            name: name.into(),
            server,
            mode,
            payload,
            per_frame: false,
            sync: false,
            accm0: false,
            pps: 0,
            reorder: 1,
            drop_every: 0,
            tunnels: 1,
            secs: 3,
        }
    }
}

/// What one run measured. Rates are per second of the window.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Frames delivered at the far end in the window, per second.
    pub fps: f64,
    /// Offered rate (RX: generator; TX: feeder).
    pub offered: f64,
    /// Helper CPU time per delivered frame, ns.
    pub ns_per_frame: f64,
    /// Helper CPU, fraction of one core.
    pub cpu: f64,
    /// Frames lost, fraction of those offered.
    pub loss: f64,
    /// Frames delivered out of order or never (beyond deliberate drops).
    pub disorder: u64,
    /// Helper memory at the window's end (largest RSS seen during it), KiB.
    pub rss_kib: u64,
    pub pss_kib: u64,
    pub private_dirty_kib: u64,
    /// Context switches per second (idle cost).
    pub switches_per_s: f64,
    /// Exec (client) or connect (server) to call up, ms; one per call.
    pub setup_ms: Vec<f64>,
    /// Calls up, and set-ups per second for a burst.
    pub calls: u64,
    pub setup_rate: f64,
    /// Helper PSS growth per tunnel, KiB (server runs).
    pub pss_per_tunnel_kib: f64,
    /// Something went wrong: the run's numbers are not to be trusted.
    pub error: Option<String>,
}

fn role(ns: &str, bench: &PathBuf, words: Vec<String>) -> std::io::Result<Child> {
    Command::new("ip")
        .args(["netns", "exec", ns])
        .arg(bench)
        .args(words)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

/// Waits for a role to end (it ends by itself at `end`); kills it if it overstays.
fn collect(mut child: Child, end: u64) -> (Option<Args>, String) {
    if !wait_until(&mut child, end + 8 * SEC) {
        let _ = child.kill();
    }
    let _ = child.wait();
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    (parse_report(&out), err.trim().to_string())
}

/// The helper's cost over the window: CPU between t0 and t1, memory at its largest.
struct Cost {
    start: Usage,
    end: Usage,
    max_rss: u64,
    drops: u64,
}

fn measure(netns_id: &str, names: &[&str], t0: u64, t1: u64) -> Cost {
    sleep_until(t0);
    let pids = procstat::helper_pids(netns_id, names);
    let start = procstat::cpu(&pids);
    let drops0 = pids.first().map_or(0, |&p| procstat::raw_drops(p));
    let mut max_rss = 0;
    while now_ns() + 250 * MS < t1 {
        std::thread::sleep(Duration::from_millis(250));
        max_rss = max_rss.max(procstat::full(&pids).rss_kib);
    }
    sleep_until(t1);
    let end = procstat::full(&pids);
    let drops = pids.first().map_or(0, |&p| procstat::raw_drops(p)) - drops0;
    Cost {
        max_rss: max_rss.max(end.rss_kib),
        start,
        end,
        drops,
    }
}

impl Cost {
    fn fill(&self, s: &mut Sample, frames: u64, secs: f64) {
        let cpu = self.end.cpu_ns.saturating_sub(self.start.cpu_ns) as f64;
        s.cpu = cpu / secs / 1e9;
        s.ns_per_frame = if frames > 0 { cpu / frames as f64 } else { 0.0 };
        s.rss_kib = self.max_rss;
        s.pss_kib = self.end.pss_kib;
        s.private_dirty_kib = self.end.private_dirty_kib;
        s.switches_per_s = self.end.switches.saturating_sub(self.start.switches) as f64 / secs;
        if self.end.processes == 0 {
            s.error = Some("no helper process was running in the window".into());
        }
    }
}

fn kv(words: &[(&str, String)]) -> Vec<String> {
    words.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// A client run: scripted PAC in B, feeder and client in A.
pub fn client(p: &Paths, imp: Imp, spec: &Spec) -> Sample {
    let mut s = Sample::default();
    let a_id = netns::id(NS_A).unwrap_or_default();
    // pptp-linux sleeps 1 s before its call manager's first message (pptp.c:528).
    let start = now_ns() + 300 * MS;
    let t0 = start + 2600 * MS;
    let t1 = t0 + spec.secs * SEC;
    let end = t1 + SEC;
    let common = vec![
        ("mode", spec.mode.to_string()),
        ("payload", spec.payload.to_string()),
        ("accm", accm(spec).into()),
        ("t0", t0.to_string()),
        ("t1", t1.to_string()),
        ("end", end.to_string()),
        ("cpu", "0".into()),
    ];
    let floor = u8::from(imp == Imp::Floor).to_string();
    let mut pac_words = kv(&common);
    pac_words.extend(kv(&[
        ("listen", ADDR_B.to_string()),
        ("floor", floor.clone()),
        ("sync", u8::from(spec.sync).to_string()),
        ("pps", spec.pps.to_string()),
        ("reorder", spec.reorder.to_string()),
        ("drop", spec.drop_every.to_string()),
    ]));
    let mut pac = match role(NS_B, &p.bench, [vec!["pac".into()], pac_words].concat()) {
        Ok(c) => c,
        Err(e) => return failed(s, format!("cannot start the PAC: {e}")),
    };
    if !wait_ready(&mut pac) {
        let (_, err) = collect(pac, now_ns());
        return failed(s, format!("the PAC did not start: {err}"));
    }
    let mut feed_words = vec!["feed".to_string()];
    feed_words.extend(kv(&common));
    feed_words.extend(kv(&[
        (
            "write",
            if spec.per_frame { "frame" } else { "block" }.into(),
        ),
        ("sync", u8::from(spec.sync).to_string()),
        ("floor", floor),
        ("private_run", "1".into()),
        ("helper_cpu", "1".into()),
        (
            "log",
            p.dir.join("helper.log").to_string_lossy().into_owned(),
        ),
    ]));
    feed_words.push("--".into());
    let names: &[&str] = match imp {
        Imp::Floor => {
            feed_words.extend([
                p.bench.to_string_lossy().into_owned(),
                "floor".into(),
                format!("peer={ADDR_B}"),
                format!("sync={}", u8::from(spec.sync)),
            ]);
            &[crate::floor::NAME]
        }
        Imp::Ours | Imp::Ref => {
            let helper = if imp == Imp::Ours {
                &p.ours_pptp
            } else {
                &p.ref_pptp
            };
            feed_words.extend([
                helper.to_string_lossy().into_owned(),
                ADDR_B.to_string(),
                "--nolaunchpppd".into(),
                "--nohostroute".into(),
            ]);
            if spec.sync {
                feed_words.push("--sync".into());
            }
            &["pptp", "pptpgw", "pptpcm"]
        }
    };
    let feed = match role(NS_A, &p.bench, feed_words) {
        Ok(c) => c,
        Err(e) => {
            netns::kill_all();
            return failed(s, format!("cannot start the feeder: {e}"));
        }
    };
    let cost = measure(&a_id, names, t0, t1);
    let (feed_r, feed_err) = collect(feed, end);
    let (pac_r, pac_err) = collect(pac, end);
    netns::kill_all();
    let (Some(f), Some(pr)) = (feed_r, pac_r) else {
        return failed(s, format!("a role failed: {feed_err} {pac_err}"));
    };
    let secs = spec.secs as f64;
    let exec: u64 = f.get("exec_ns", 0);
    s.setup_ms = ocrq_times(&pr)
        .into_iter()
        .map(|t| t.saturating_sub(exec) as f64 / 1e6)
        .collect();
    s.calls = pr.get("calls", 0);
    let frames = match spec.mode {
        "tx" => {
            let written: u64 = f.get("frames", 0);
            let got: u64 = pr.get("sink_data", 0);
            s.offered = f.get::<u64>("window_frames", 0) as f64 / secs;
            s.loss = loss(written, got);
            s.disorder = pr.get::<u64>("sink_tag_missing", 0)
                + pr.get::<u64>("sink_tag_disorder", 0)
                + pr.get::<u64>("sink_seq_disorder", 0);
            pr.get("sink_window", 0)
        }
        "rx" => {
            let sent: u64 = pr.get("gen_sent", 0);
            let got: u64 = f.get("frames", 0);
            s.offered = pr.get::<u64>("gen_window", 0) as f64 / secs;
            s.loss = loss(sent, got);
            s.disorder = f.get("out_of_order", 0);
            f.get("window_frames", 0)
        }
        _ => 0,
    };
    s.fps = frames as f64 / secs;
    cost.fill(&mut s, frames, secs);
    if cost.drops > 0 && spec.mode == "rx" && s.loss == 0.0 {
        s.loss = cost.drops as f64 / pr.get::<u64>("gen_sent", 1).max(1) as f64;
    }
    if s.calls == 0 {
        s.error = Some(format!(
            "no call came up; see {}",
            p.dir.join("helper.log").display()
        ));
    }
    s
}

/// Set-up burst for clients: `n` clients started at once against one PAC.
pub fn client_burst(p: &Paths, imp: Imp, n: usize) -> Sample {
    let mut s = Sample::default();
    let start = now_ns() + 300 * MS;
    let end = start + 4 * SEC;
    let words = kv(&[
        ("mode", "idle".into()),
        ("listen", ADDR_B.to_string()),
        ("end", end.to_string()),
        ("cpu", "0".into()),
    ]);
    let mut pac = match role(NS_B, &p.bench, [vec!["pac".into()], words].concat()) {
        Ok(c) => c,
        Err(e) => return failed(s, format!("cannot start the PAC: {e}")),
    };
    if !wait_ready(&mut pac) {
        return failed(s, "the PAC did not start".into());
    }
    let helper = match imp {
        Imp::Ours | Imp::Floor => &p.ours_pptp,
        Imp::Ref => &p.ref_pptp,
    };
    let mut feeds = Vec::new();
    for _ in 0..n {
        let mut w = vec!["feed".to_string()];
        w.extend(kv(&[
            ("mode", "idle".into()),
            ("end", end.to_string()),
            ("private_run", "1".into()),
        ]));
        w.extend([
            "--".into(),
            helper.to_string_lossy().into_owned(),
            ADDR_B.to_string(),
            "--nolaunchpppd".into(),
            "--nohostroute".into(),
        ]);
        if let Ok(c) = role(NS_A, &p.bench, w) {
            feeds.push(c);
        }
    }
    let execs: Vec<u64> = feeds
        .into_iter()
        .filter_map(|f| collect(f, end).0.map(|r| r.get("exec_ns", 0)))
        .collect();
    let (pr, err) = collect(pac, end);
    netns::kill_all();
    let Some(pr) = pr else {
        return failed(s, format!("the PAC failed: {err}"));
    };
    let ocrq = ocrq_times(&pr);
    let first = execs.iter().copied().min().unwrap_or(0);
    s.calls = ocrq.len() as u64;
    if let Some(last) = ocrq.iter().max() {
        s.setup_rate = s.calls as f64 * 1e9 / last.saturating_sub(first).max(1) as f64;
    }
    s
}

/// A server run: server in B with stand-in pppds, scripted PNS in A.
pub fn server(p: &Paths, imp: Imp, spec: &Spec) -> Sample {
    let mut s = Sample::default();
    let b_id = netns::id(NS_B).unwrap_or_default();
    let names = ["pptpd", "pptpctrl"];
    let counts = p.dir.join("counts");
    let _ = std::fs::remove_file(&counts);
    let conf = p.dir.join("pptpd.conf");
    let options = p.dir.join("options");
    let pppd = p.dir.join("bin/pppd");
    let text = format!(
        "ppp {}\noption {}\ndelegate\nconnections 5000\nlisten {ADDR_B}\npidfile {}\n",
        pppd.display(),
        options.display(),
        p.dir.join("pptpd.pid").display()
    );
    if let Err(e) = std::fs::write(&conf, text).and_then(|_| std::fs::write(&options, "")) {
        return failed(s, format!("cannot write {}: {e}", conf.display()));
    }
    let daemon = match imp {
        Imp::Ours | Imp::Floor => &p.ours_pptpd,
        Imp::Ref => &p.ref_pptpd,
    };
    let log = std::fs::File::create(p.dir.join("server.log")).ok();
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", NS_B])
        .arg(daemon)
        .args(["-f", "-c"])
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    if let Some(log) = log {
        cmd.stderr(log);
    }
    let mut srv = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return failed(s, format!("cannot start {}: {e}", daemon.display())),
    };
    pin(srv.id(), 1);
    if !wait_listening(srv.id()) {
        let _ = srv.kill();
        let _ = srv.wait();
        netns::kill_all();
        return failed(s, format!("{} did not listen", daemon.display()));
    }
    let base = procstat::full(&procstat::helper_pids(&b_id, &names));
    let start = now_ns() + 200 * MS;
    // poptop listens with a backlog of 3 and forks two programs per call, so a burst of
    // connections waits for SYN retransmissions: give every call time to come up. The PNS
    // opens the window once all are up (TX runs fix it up front: the stand-in pppds write
    // inside it).
    let up_by = start + 10 * SEC + spec.tunnels as u64 * 50 * MS;
    let fixed = spec.mode == "tx";
    let (mut t0, mut t1) = (start + 2 * SEC, start + (2 + spec.secs) * SEC);
    let mut end = if fixed {
        t1 + SEC
    } else {
        up_by + (spec.secs + 3) * SEC
    };
    let mut plan = vec![
        ("mode", spec.mode.to_string()),
        ("payload", spec.payload.to_string()),
        ("accm", accm(spec).into()),
        ("end", (end + 10 * SEC).to_string()),
        ("cpu", "0".into()),
    ];
    if fixed {
        plan.extend([("t0", t0.to_string()), ("t1", t1.to_string())]);
    }
    let mut pppd_plan = kv(&plan);
    pppd_plan.push(format!("counts={}", counts.display()));
    if let Err(e) = std::fs::write(crate::FAKE_PPPD_CONF, pppd_plan.join(" ")) {
        return failed(s, format!("cannot write {}: {e}", crate::FAKE_PPPD_CONF));
    }
    plan.retain(|(k, _)| *k != "end");
    plan.push(("end", end.to_string()));
    let mut words = vec!["pns".to_string()];
    words.extend(kv(&plan));
    words.extend(kv(&[
        ("server", ADDR_B.to_string()),
        ("src", TUNNEL_SRC.to_string()),
        ("tunnels", spec.tunnels.to_string()),
        ("pps", spec.pps.to_string()),
        ("up_by", up_by.to_string()),
        ("secs", spec.secs.to_string()),
    ]));
    sleep_until(start);
    let mut pns = match role(NS_A, &p.bench, words) {
        Ok(c) => c,
        Err(e) => {
            netns::kill_all();
            return failed(s, format!("cannot start the PNS: {e}"));
        }
    };
    match read_line(&mut pns, "window").and_then(|l| Args::parse(&l[1..]).ok()) {
        Some(w) => (t0, t1, end) = (w.get("t0", t0), w.get("t1", t1), w.get("end", end)),
        None => {
            netns::kill_all();
            let _ = srv.wait();
            let (_, err) = collect(pns, now_ns());
            return failed(s, format!("the PNS ended before its window: {err}"));
        }
    }
    let cost = measure(&b_id, &names, t0, t1);
    let (pr, err) = collect(pns, end);
    // Closing the control connections ends the calls; each stand-in pppd then reports.
    let deadline = now_ns() + 5 * SEC;
    let lines = || {
        std::fs::read_to_string(&counts)
            .unwrap_or_default()
            .lines()
            .count()
    };
    while now_ns() < deadline && lines() < spec.tunnels {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(srv.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    std::thread::sleep(Duration::from_millis(300));
    netns::kill_all();
    let _ = srv.wait();
    let Some(pr) = pr else {
        return failed(s, format!("the PNS failed: {err}"));
    };
    let secs = spec.secs as f64;
    let pppds: Vec<Args> = std::fs::read_to_string(&counts)
        .unwrap_or_default()
        .lines()
        .filter_map(parse_report)
        .collect();
    let sum = |k: &str| pppds.iter().map(|a| a.get::<u64>(k, 0)).sum::<u64>();
    s.calls = pr.get("calls", 0);
    s.setup_ms = vec![pr.get::<u64>("setup_median_us", 0) as f64 / 1e3];
    s.setup_rate = s.calls as f64 * 1e6 / pr.get::<u64>("setup_total_us", 1).max(1) as f64;
    let frames = match spec.mode {
        "tx" => {
            s.loss = loss(sum("frames"), pr.get("sink_data", 0));
            s.disorder =
                pr.get::<u64>("sink_tag_missing", 0) + pr.get::<u64>("sink_tag_disorder", 0);
            pr.get("sink_window", 0)
        }
        "rx" => {
            s.offered = pr.get::<u64>("gen_window", 0) as f64 / secs;
            // The generator sends inside the window only, so all frames count.
            s.loss = loss(pr.get("gen_sent", 0), sum("frames"));
            s.disorder = sum("out_of_order");
            sum("frames")
        }
        _ => 0,
    };
    s.fps = frames as f64 / secs;
    cost.fill(&mut s, frames, secs);
    if s.calls > 0 {
        s.pss_per_tunnel_kib =
            cost.end.pss_kib.saturating_sub(base.pss_kib) as f64 / s.calls as f64;
    }
    if s.calls < spec.tunnels as u64 {
        s.error = Some(format!(
            "only {} of {} calls came up",
            s.calls, spec.tunnels
        ));
    }
    s
}

/// The stand-in's `accm=` word.
fn accm(spec: &Spec) -> &'static str {
    if spec.accm0 { "0" } else { "ffffffff" }
}

fn failed(mut s: Sample, why: String) -> Sample {
    s.error = Some(why);
    s
}

fn loss(offered: u64, delivered: u64) -> f64 {
    if offered == 0 {
        return 0.0;
    }
    offered.saturating_sub(delivered) as f64 / offered as f64
}

fn ocrq_times(pac: &Args) -> Vec<u64> {
    pac.text("ocrq_ns")
        .unwrap_or("")
        .split(',')
        .filter_map(|t| t.parse().ok())
        .collect()
}

fn wait_ready(child: &mut Child) -> bool {
    read_line(child, "ready").is_some()
}

/// Reads the child's stdout up to a line starting with `word`; its words, or None at EOF.
fn read_line(child: &mut Child, word: &str) -> Option<Vec<String>> {
    let out = child.stdout.take()?;
    let mut reader = BufReader::new(out);
    let mut line = String::new();
    let mut found = None;
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
        if line.split_whitespace().next() == Some(word) {
            found = Some(line.split_whitespace().map(String::from).collect());
            break;
        }
        line.clear();
    }
    // Lines already buffered are lost with the reader; the roles print their result
    // line only at the end, long after the line waited for here.
    child.stdout = Some(reader.into_inner());
    found
}

/// True once `pid`'s namespace has a socket listening on TCP 1723 (within 5 s).
fn wait_listening(pid: u32) -> bool {
    let deadline = now_ns() + 5 * SEC;
    while now_ns() < deadline {
        let tcp = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).unwrap_or_default();
        if tcp.lines().any(|l| l.contains(":06BB 00000000:0000 0A")) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
