//! pppd's byte stream (link::ppp_stream), both ways, over a socket pair standing in for
//! the pty: frames queued (async HDLC with the map proto::accm follows from LCP, or sync),
//! flushed while the other end reads only now and then, and read back.
//!
//! - `0x00..=0x7f`: a frame of `2 + (next u16 % 8193)` bytes (`0x40` set) or of `2 + next
//!   byte` (a pattern with flags and escapes in it) is queued;
//! - `0x80..=0x9f`: a flush; `0xa0..=0xbf`: pppd reads what is there;
//! - `0xc0..=0xdf`: the map is set; `0xe0..=0xff`: an LCP frame from the input passes
//!   AccmWatch, one way or the other, and the map follows it.
//!
//! Asserted: the backlog stays within `PPP_BACKLOG` plus one frame, a frame is dropped (and
//! counted) exactly when it is full, and everything pppd reads is, decoded, exactly the
//! frames not dropped, in order.
#![no_main]

use std::io::{ErrorKind, Read};
use std::os::unix::net::UnixStream;

use libfuzzer_sys::fuzz_target;
use pptp_fuzz::Input;
use pptp_rs::link::ppp_stream::{PPP_BACKLOG, PppIn, PppOut};
use pptp_rs::proto::accm::AccmWatch;
use pptp_rs::wire::hdlc::max_encoded_len;

const MAX_FRAME: usize = 8194;

fn read_all(r: &mut UnixStream, into: &mut Vec<u8>) {
    let mut buf = [0u8; 65536];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) => panic!("read: {e}"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let sync = input.u8() & 1 != 0;
    let (w, mut r) = UnixStream::pair().expect("socketpair");
    w.set_nonblocking(true).unwrap();
    r.set_nonblocking(true).unwrap();
    let mut out = PppOut::new(sync);
    let mut watch = AccmWatch::new();
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let mut drops = 0u64;
    let mut received = Vec::new();
    let mut counter = 0u8;
    while !input.is_empty() {
        let b = input.u8();
        match b {
            0x00..=0x7f => {
                // Big frames (to reach the backlog) or small ones (to make many).
                let len = if b & 0x40 != 0 {
                    2 + usize::from(input.u16()) % (MAX_FRAME - 1)
                } else {
                    2 + usize::from(input.u8())
                };
                counter = counter.wrapping_add(1);
                let step = b | 1;
                let frame: Vec<u8> = (0..len)
                    .map(|i| counter.wrapping_add((i as u8).wrapping_mul(step)))
                    .collect();
                let full = out.queued() >= PPP_BACKLOG;
                out.frame(&frame);
                if full {
                    drops += 1;
                } else {
                    sent.push(frame);
                }
            }
            0x80..=0x9f => out.flush(&w).expect("flush"),
            0xa0..=0xbf => read_all(&mut r, &mut received),
            0xc0..=0xdf => out.set_accm(input.u32()),
            _ => {
                let frame = input.chunk();
                let change = if b & 1 == 0 {
                    watch.from_pppd(frame)
                } else {
                    watch.to_pppd(frame)
                };
                if let Some(map) = change {
                    assert_eq!(map, watch.current());
                    out.set_accm(map);
                }
            }
        }
        assert_eq!(out.drops, drops, "drops miscounted");
        assert!(
            out.queued() < PPP_BACKLOG + max_encoded_len(MAX_FRAME),
            "backlog past its bound: {}",
            out.queued()
        );
        assert_eq!(out.pending(), out.queued() > 0);
    }
    for _ in 0..100_000 {
        out.flush(&w).expect("flush");
        read_all(&mut r, &mut received);
        if !out.pending() {
            break;
        }
    }
    assert!(!out.pending(), "the backlog never drained");
    if sync {
        assert_eq!(received, sent.concat(), "sync bytes differ");
    } else {
        let mut decoder = PppIn::new(false);
        decoder.decode(&received);
        let frames: Vec<_> = (0..decoder.len())
            .map(|i| decoder.get(i).unwrap().map(<[u8]>::to_vec))
            .collect();
        decoder.consume();
        assert!(decoder.is_empty());
        assert_eq!(frames.len(), sent.len(), "frame count differs");
        for (got, want) in frames.iter().zip(&sent) {
            assert_eq!(got.as_ref().ok(), Some(want), "frame differs");
        }
    }
});
