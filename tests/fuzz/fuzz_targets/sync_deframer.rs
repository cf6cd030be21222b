//! The `--sync` deframer (wire::ppp): any byte stream, cut into reads anywhere, gives the
//! same frames as one read, while the frames' own length fields tell where they end; what
//! it keeps between reads is at most one frame. Frames built with their length fields
//! come back exactly. The MPPE helpers take any frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pptp_fuzz::{Input, reads};
use pptp_rs::wire::hdlc::MAX_FRAME_LEN;
use pptp_rs::wire::ppp::{
    SyncDeframer, SyncError, SyncFrameLen, mppe_ack_bits, mppe_description, sync_frame_len,
};

type Seen = Vec<Result<Vec<u8>, SyncError>>;

fn deframe(stream: &[u8], cut: impl Fn(usize) -> usize) -> Seen {
    let mut d = SyncDeframer::new();
    let mut seen = Vec::new();
    for read in reads(stream, (0..).map(cut)) {
        d.push(read, |f| seen.push(f.map(<[u8]>::to_vec)));
        assert!(
            d.frames().open_len() <= MAX_FRAME_LEN,
            "deframer holds more than a frame"
        );
    }
    seen
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let cut = usize::from(input.u8()) + 1;
    let body = input.rest();

    let whole = deframe(body, |_| usize::MAX);
    for f in whole.iter().flatten() {
        // Every frame is as long as it says.
        assert_eq!(sync_frame_len(f), SyncFrameLen::Known(f.len()));
        if let Some(bits) = mppe_ack_bits(f) {
            let _ = mppe_description(bits);
        }
    }
    // Reads cut the stream differently: the frames are the same up to the first drop (a
    // frame without a length drops the rest of its read, which depends on the read).
    let cut_up = deframe(body, |i| (i * cut) % 61 + 1);
    let good = |s: &Seen| {
        s.iter()
            .take_while(|f| f.is_ok())
            .cloned()
            .collect::<Vec<_>>()
    };
    if whole.iter().all(Result::is_ok) {
        assert_eq!(whole, cut_up, "frames depend on the reads");
    } else {
        let (a, b) = (good(&whole), good(&cut_up));
        let n = a.len().min(b.len());
        assert_eq!(a[..n], b[..n], "frames before a drop depend on the reads");
    }

    // LCP frames built with their own lengths come back whole, however cut.
    let mut frames = Vec::new();
    let mut stream = Vec::new();
    let mut rest = Input::new(body);
    while !rest.is_empty() {
        let payload = rest.chunk();
        let len = (payload.len() + 4) as u16;
        let mut f = vec![0xff, 0x03, 0xc0, 0x21, 1, 1];
        f.extend_from_slice(&len.to_be_bytes());
        f.extend_from_slice(payload);
        stream.extend_from_slice(&f);
        frames.push(Ok(f));
    }
    assert_eq!(deframe(&stream, |_| usize::MAX), frames);
    assert_eq!(deframe(&stream, |i| (i * cut) % 13 + 1), frames);
});
