//! Micro benchmarks of the per-byte and per-packet work of the data path, on one core:
//! async HDLC encode and decode (with the FCS), and the GRE header. Run with
//! `cargo bench --bench wire`; each line gives bytes/s (or headers/s) over about a second.
//! The target (issue 5) is >= 1 GB/s each way for HDLC.

use std::hint::black_box;
use std::time::{Duration, Instant};

use pptp_rs::wire::gre::GreHeader;
use pptp_rs::wire::hdlc::{AsyncDecoder, ESCAPE, FCS_INIT, FLAG, encode_async, fcs16};

/// Runs `step` (which reports the bytes it handled) for about `RUN` and returns bytes/s.
fn measure(mut step: impl FnMut() -> usize) -> f64 {
    const RUN: Duration = Duration::from_millis(1000);
    for _ in 0..1000 {
        black_box(step());
    }
    let start = Instant::now();
    let mut bytes = 0usize;
    while start.elapsed() < RUN {
        for _ in 0..256 {
            bytes += step();
        }
    }
    bytes as f64 / start.elapsed().as_secs_f64()
}

/// Frames of `kind`: "mppe" is uniformly random, as encrypted payloads are, so one byte in
/// eight needs escaping (below 0x20, 0x7d, 0x7e); "plain" has one such byte in 64, like
/// unencrypted text-heavy traffic.
fn frames(len: usize, kind: &str) -> Vec<Vec<u8>> {
    let mut x: u32 = 2637;
    let mut next = move || {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (x >> 16) as u8
    };
    (0..64)
        .map(|_| {
            (0..len)
                .map(|_| match kind {
                    "mppe" => next(),
                    _ if next() < 4 => 0x7e,
                    _ => 0x20 + next() % 0x5c,
                })
                .collect()
        })
        .collect()
}

/// One frame as ppp_async writes it with ACCM 0: only [`FLAG`] and [`ESCAPE`] escaped.
fn encode_accm0(frame: &[u8], out: &mut Vec<u8>) {
    let fcs = !fcs16(FCS_INIT, frame);
    out.push(FLAG);
    for &b in frame.iter().chain(&fcs.to_le_bytes()) {
        if b == FLAG || b == ESCAPE {
            out.extend([ESCAPE, b ^ 0x20]);
        } else {
            out.push(b);
        }
    }
    out.push(FLAG);
}

fn main() {
    // cargo bench passes --bench; a filter word, if any, selects lines by name.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    println!("{:<40} {:>14}", "benchmark", "throughput");
    for (len, kind) in [(64, "mppe"), (512, "mppe"), (1400, "mppe"), (1400, "plain")] {
        let frames = frames(len, kind);
        let name = format!("hdlc encode {len} B {kind}");
        if wanted(&name) {
            let mut out = Vec::with_capacity(4 * len);
            let mut i = 0;
            let rate = measure(|| {
                out.clear();
                encode_async(black_box(&frames[i % 64]), &mut out);
                i += 1;
                len
            });
            println!("{name:<40} {:>9.2} GB/s", rate / 1e9);
        }
        // What the decoder reads is what pppd's ppp_async writes, escaped with the ACCM
        // its peer asked for: 0 from Windows and pppd alike (only 0x7d and 0x7e escaped),
        // or all control characters (ACCM ffffffff, as we escape towards pppd).
        let accms: &[u32] = if kind == "mppe" { &[0, !0] } else { &[!0] };
        for &accm in accms {
            let name = format!("hdlc decode {len} B {kind}, accm {accm:x}");
            if !wanted(&name) {
                continue;
            }
            // A stream of encoded frames, fed in 4095-byte reads as a pty delivers them.
            let mut stream = Vec::new();
            for f in &frames {
                if accm == 0 {
                    encode_accm0(f, &mut stream);
                } else {
                    encode_async(f, &mut stream);
                }
            }
            let mut decoder = AsyncDecoder::new();
            let payload: usize = frames.iter().map(Vec::len).sum();
            let rate = measure(|| {
                let mut got = 0;
                for chunk in stream.chunks(4095) {
                    decoder.push(black_box(chunk), |f| got += f.map_or(0, |f| f.len()));
                }
                assert_eq!(got, payload);
                payload
            });
            println!("{name:<40} {:>9.2} GB/s", rate / 1e9);
        }
    }
    // The FCS alone: the part of either direction that does not depend on escaping.
    let name = "fcs-16 1400 B";
    if wanted(name) {
        let frames = frames(1400, "mppe");
        let mut i = 0;
        let rate = measure(|| {
            i += 1;
            black_box(fcs16(FCS_INIT, black_box(&frames[i % 64])));
            1400
        });
        println!("{name:<40} {:>9.2} GB/s", rate / 1e9);
    }
    let name = "gre header parse+emit";
    if wanted(name) {
        let header = GreHeader {
            call_id: 0x1234,
            payload_len: 1400,
            seq: Some(7),
            ack: Some(6),
        };
        let mut packet = vec![0u8; 16 + 1400];
        header.emit(&mut packet);
        let mut seq = 0u32;
        let rate = measure(|| {
            seq = seq.wrapping_add(1);
            let h = GreHeader {
                seq: Some(seq),
                ..header
            };
            h.emit(black_box(&mut packet));
            let (parsed, payload) = GreHeader::parse(black_box(&packet)).expect("valid");
            black_box((parsed, payload.len()));
            1
        });
        println!("{name:<40} {:>9.1} M/s", rate / 1e6);
    }
}
