//! Async HDLC (wire::hdlc), both ways. Decoding: any byte stream, cut into reads anywhere,
//! gives the same frames and drops as in one read, and what the decoder keeps between
//! reads is at most one frame (`MAX_FRAME_LEN`). Encoding: frames cut from the input,
//! encoded with any ACCM, decode back to exactly those frames, whatever the reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pptp_fuzz::{Input, reads};
use pptp_rs::wire::hdlc::{
    Accm, AsyncDecoder, FrameError, MAX_FRAME_LEN, encode_async, encode_async_into, max_encoded_len,
};

type Seen = Vec<Result<Vec<u8>, FrameError>>;

fn decode(stream: &[u8], cut: impl Fn(usize) -> usize) -> Seen {
    let mut d = AsyncDecoder::new();
    let mut seen = Vec::new();
    for read in reads(stream, (0..).map(cut)) {
        d.push(read, |f| seen.push(f.map(<[u8]>::to_vec)));
        assert!(d.frames().is_empty());
        assert!(
            d.frames().open_len() <= MAX_FRAME_LEN,
            "decoder holds more than a frame"
        );
    }
    seen
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let cut = usize::from(input.u8()) * 37 + 1;
    let map = input.u32();
    let body = input.rest();

    // Any bytes: the same however the reads cut them.
    let whole = decode(body, |_| usize::MAX);
    assert_eq!(
        whole,
        decode(body, |i| (i * cut) % 97 + 1),
        "depends on the reads"
    );
    assert!(whole.iter().flatten().all(|f| f.len() <= MAX_FRAME_LEN - 2));

    // Frames cut from the input: encoded, then decoded back, with any map.
    let accm = Accm::new(map);
    let mut frames: Vec<Vec<u8>> = Vec::new();
    let mut rest = Input::new(body);
    while !rest.is_empty() {
        let len = usize::from(rest.u8()) * 8 % 1600 + 2;
        let mut f = rest.bytes(len).to_vec();
        f.resize(f.len().max(2), 0x7e);
        frames.push(f);
    }
    let mut stream = Vec::new();
    for f in &frames {
        let mut out = vec![0u8; max_encoded_len(f.len())];
        let n = encode_async_into(f, &accm, &mut out).expect("room for the worst case");
        assert!(encode_async_into(f, &accm, &mut out[..n - 1]).is_none() || n == 0);
        let encoded = &out[..n];
        assert_eq!(encoded.first(), Some(&0x7e));
        assert_eq!(encoded.last(), Some(&0x7e));
        // Nothing the map names, and no flag or escape, appears unescaped inside.
        for &b in &encoded[1..n - 1] {
            assert!(b != 0x7e);
            assert!(b >= 0x20 || map & (1 << b) == 0, "byte {b:#x} not escaped");
        }
        if map == u32::MAX {
            let mut all = Vec::new();
            encode_async(f, &mut all);
            assert_eq!(all, encoded);
        }
        stream.extend_from_slice(encoded);
    }
    let expect: Seen = frames.into_iter().map(Ok).collect();
    assert_eq!(decode(&stream, |_| usize::MAX), expect, "round trip");
    assert_eq!(
        decode(&stream, |i| (i * cut) % 211 + 1),
        expect,
        "round trip, cut"
    );
});
