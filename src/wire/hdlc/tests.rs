//! Byte-vector, round-trip and hostile-input tests of async HDLC framing.
use super::*;

/// FCS-16 one bit at a time, straight from the polynomial: an oracle for the tables.
fn fcs16_bitwise(mut fcs: u16, data: &[u8]) -> u16 {
    for &b in data {
        fcs ^= b as u16;
        for _ in 0..8 {
            fcs = if fcs & 1 != 0 {
                (fcs >> 1) ^ 0x8408
            } else {
                fcs >> 1
            };
        }
    }
    fcs
}

/// Deterministic pseudo-random bytes (Knuth's MMIX LCG, high byte).
struct Lcg(u64);

impl Lcg {
    fn next_u8(&mut self) -> u8 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 56) as u8
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u8()).collect()
    }
}

/// Every result `push` reports for `chunks` fed in order, frames copied out.
fn decode_chunks(chunks: &[&[u8]]) -> Vec<Result<Vec<u8>, FrameError>> {
    let mut d = AsyncDecoder::new();
    let mut got = Vec::new();
    for chunk in chunks {
        d.push(chunk, |r| got.push(r.map(<[u8]>::to_vec)));
    }
    got
}

fn encode(frame: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_async(frame, &mut out);
    out
}

// LCP Configure-Request, id 1, no options.
const LCP_CONFREQ: [u8; 8] = [0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04];

#[test]
fn fcs_known_vectors() {
    // CRC-16/X-25 check value: complemented FCS of "123456789".
    assert_eq!(!fcs16(FCS_INIT, b"123456789"), 0x906e);
    assert_eq!(fcs16_bitwise(FCS_INIT, b"123456789"), 0x6f91);

    let fcs = !fcs16(FCS_INIT, &LCP_CONFREQ);
    assert_eq!(fcs, 0xb5d1);
    assert_eq!(fcs, !fcs16_bitwise(FCS_INIT, &LCP_CONFREQ));
    let mut with_fcs = LCP_CONFREQ.to_vec();
    with_fcs.extend_from_slice(&fcs.to_le_bytes());
    assert_eq!(fcs16(FCS_INIT, &with_fcs), FCS_GOOD);
    assert_eq!(fcs16(FCS_INIT, &[]), FCS_INIT);
}

#[test]
fn fcs_tables_match_bitwise_at_every_length_and_split() {
    let data = Lcg(1).bytes(300);
    for len in 0..data.len() {
        let want = fcs16_bitwise(FCS_INIT, &data[..len]);
        assert_eq!(fcs16(FCS_INIT, &data[..len]), want, "len {len}");
        let mid = len / 3;
        assert_eq!(fcs16(fcs16(FCS_INIT, &data[..mid]), &data[mid..len]), want);
    }
}

#[test]
fn encodes_lcp_confreq() {
    assert_eq!(
        encode(&LCP_CONFREQ),
        [
            0x7e, 0xff, 0x7d, 0x23, 0xc0, 0x21, 0x7d, 0x21, 0x7d, 0x21, 0x7d, 0x20, 0x7d, 0x24,
            0xd1, 0xb5, 0x7e
        ]
    );
}

#[test]
fn encodes_flag_escape_and_control_bytes() {
    let frame = [0xff, 0x03, 0xc0, 0x21, 0x7e, 0x7d, 0x00, 0x1f, 0x20, 0x5d];
    assert_eq!(
        encode(&frame),
        [
            0x7e, 0xff, 0x7d, 0x23, 0xc0, 0x21, 0x7d, 0x5e, 0x7d, 0x5d, 0x7d, 0x20, 0x7d, 0x3f,
            0x20, 0x5d, 0xa9, 0x37, 0x7e
        ]
    );
}

#[test]
fn escapes_fcs_bytes() {
    // FCS 0x7d1d: both of its bytes need escaping.
    let frame = [0xff, 0x03, 0x00, 0x21, 0x00, 0x12];
    assert_eq!(
        encode(&frame),
        [
            0x7e, 0xff, 0x7d, 0x23, 0x7d, 0x20, 0x21, 0x7d, 0x20, 0x7d, 0x32, 0x7d, 0x3d, 0x7d,
            0x5d, 0x7e
        ]
    );
    assert_eq!(decode_chunks(&[&encode(&frame)]), [Ok(frame.to_vec())]);
}

#[test]
fn encode_appends_and_escapes_exactly_the_accm_bytes() {
    let mut out = vec![0xaa];
    let all: Vec<u8> = (0..=255).collect();
    encode_async(&all, &mut out);
    assert_eq!(out[..2], [0xaa, FLAG]);
    assert_eq!(*out.last().unwrap(), FLAG);
    let body = &out[2..out.len() - 1];
    assert!(!body.contains(&FLAG));
    for b in body.iter().filter(|&&b| b != ESCAPE) {
        assert!(*b >= 0x20, "{b:#x} unescaped");
    }
    // 256 bytes of which 34 escaped (0x00-0x1f, 0x7d, 0x7e), FCS 0x303c (3c 30, not
    // escaped), two flags, after the 0xaa already there.
    assert_eq!(out.len(), 1 + 1 + 256 + 34 + 2 + 1);
    assert_eq!(out[out.len() - 3..out.len() - 1], [0x3c, 0x30]);
    assert_eq!(decode_chunks(&[&out[1..]]), [Ok(all)]);
}

#[test]
fn round_trips_every_length() {
    let mut rng = Lcg(7);
    for len in 2..=1600 {
        // Bias towards the interesting bytes so that every length sees escapes.
        let frame: Vec<u8> = (0..len)
            .map(|_| match rng.next_u8() % 8 {
                0 => FLAG,
                1 => ESCAPE,
                2 => rng.next_u8() & 0x1f,
                _ => rng.next_u8(),
            })
            .collect();
        assert_eq!(decode_chunks(&[&encode(&frame)]), [Ok(frame)], "len {len}");
    }
    let max = rng.bytes(MAX_FRAME_LEN - FCS_LEN);
    assert_eq!(decode_chunks(&[&encode(&max)]), [Ok(max)]);
}

#[test]
fn frames_split_at_every_boundary() {
    let mut stream = encode(&LCP_CONFREQ);
    let second = [0xff, 0x03, 0x00, 0x21, 0x7e, 0x7d, 0x45, 0x00, 0x00, 0x14];
    encode_async(&second, &mut stream);
    let want = [Ok(LCP_CONFREQ.to_vec()), Ok(second.to_vec())];
    for at in 0..=stream.len() {
        let (a, b) = stream.split_at(at);
        assert_eq!(decode_chunks(&[a, b]), want, "split at {at}");
    }
    // And one byte per push.
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(decode_chunks(&bytes), want);
}

#[test]
fn several_frames_in_one_push_and_shared_flags() {
    let frames: Vec<Vec<u8>> = (0..20u8)
        .map(|i| Lcg(i as u64).bytes(4 + i as usize))
        .collect();
    let mut stream = Vec::new();
    for f in &frames {
        encode_async(f, &mut stream);
    }
    let want: Vec<_> = frames.iter().cloned().map(Ok).collect();
    assert_eq!(decode_chunks(&[&stream]), want);

    // One flag closing a frame and opening the next, as pppd sends back-to-back frames.
    let mut shared = Vec::new();
    for f in &frames {
        let e = encode(f);
        shared.extend_from_slice(&e[..e.len() - 1]);
    }
    shared.push(FLAG);
    assert_eq!(decode_chunks(&[&shared]), want);
}

#[test]
fn empty_frames_are_skipped() {
    let e = encode(&LCP_CONFREQ);
    let stream = [&[FLAG; 5][..], &e, &[FLAG; 3], &e].concat();
    assert_eq!(
        decode_chunks(&[&stream]),
        [Ok(LCP_CONFREQ.to_vec()), Ok(LCP_CONFREQ.to_vec())]
    );
    assert!(decode_chunks(&[&[], &[FLAG], &[]]).is_empty());
}

#[test]
fn bytes_before_the_first_flag_are_a_frame() {
    let e = encode(&LCP_CONFREQ);
    // No leading flag: still decoded.
    assert_eq!(decode_chunks(&[&e[1..]]), [Ok(LCP_CONFREQ.to_vec())]);
    // Junk before the first flag is a frame that fails its checks.
    assert_eq!(
        decode_chunks(&[&[0x01, 0x02], &e]),
        [Err(FrameError::TooShort), Ok(LCP_CONFREQ.to_vec())]
    );
}

#[test]
fn too_short_frames() {
    // Three octets, even with a "valid" two-byte FCS, are below RFC 1662's minimum.
    for body in [
        &[0x21][..],
        &[0x21, 0x22],
        &[0x21, 0x22, 0x23],
        &[0x7d, 0x5e, 1],
    ] {
        let stream = [&[FLAG][..], body, &[FLAG]].concat();
        assert_eq!(decode_chunks(&[&stream]), [Err(FrameError::TooShort)]);
    }
    // Exactly four octets with a good FCS: a 2-byte frame, delivered.
    assert_eq!(
        decode_chunks(&[&encode(&[0xc0, 0x21])]),
        [Ok(vec![0xc0, 0x21])]
    );
    // An empty frame with a good FCS: 2 octets, too short.
    assert_eq!(decode_chunks(&[&encode(&[])]), [Err(FrameError::TooShort)]);
}

#[test]
fn bad_fcs_is_dropped_and_the_next_frame_decodes() {
    let good = encode(&LCP_CONFREQ);
    let mut bad = good.clone();
    bad[5] ^= 0x01; // 0x21 -> 0x20 in the payload
    let stream = [bad.as_slice(), &good].concat();
    assert_eq!(
        decode_chunks(&[&stream]),
        [Err(FrameError::BadFcs), Ok(LCP_CONFREQ.to_vec())]
    );
}

#[test]
fn every_single_bit_error_is_caught() {
    let good = encode(&LCP_CONFREQ);
    for at in 1..good.len() - 1 {
        for bit in 0..8 {
            let mut bad = good.clone();
            bad[at] ^= 1 << bit;
            // The flip may make a flag or an escape, so the corrupted frame can end up as
            // any number of reports: none of them may be a frame.
            let got = decode_chunks(&[&bad, &good]);
            assert_eq!(got.last(), Some(&Ok(LCP_CONFREQ.to_vec())));
            assert_eq!(
                got.iter().filter(|r| r.is_ok()).count(),
                1,
                "byte {at} bit {bit}: {got:?}"
            );
        }
    }
}

#[test]
fn abort_sequence() {
    let good = encode(&LCP_CONFREQ);
    // A frame cut short by 7D 7E, then a good frame.
    let stream = [&good[..6], &[ESCAPE, FLAG], &good].concat();
    assert_eq!(
        decode_chunks(&[&stream]),
        [Err(FrameError::Aborted), Ok(LCP_CONFREQ.to_vec())]
    );
    // Split between the escape and the flag.
    assert_eq!(
        decode_chunks(&[&[FLAG, 1, 2, ESCAPE], &[FLAG], &good]),
        [Err(FrameError::Aborted), Ok(LCP_CONFREQ.to_vec())]
    );
    // The aborting flag is not also the opening flag of an empty frame: the good frame
    // can follow without a flag of its own.
    let stream = [&[FLAG, 1, ESCAPE, FLAG][..], &good[1..]].concat();
    assert_eq!(
        decode_chunks(&[&stream]),
        [Err(FrameError::Aborted), Ok(LCP_CONFREQ.to_vec())]
    );
}

#[test]
fn too_long_frame_is_reported_once() {
    let long = Lcg(3).bytes(MAX_FRAME_LEN + 100);
    let stream = [encode(&long), encode(&LCP_CONFREQ)].concat();
    let want = [Err(FrameError::TooLong), Ok(LCP_CONFREQ.to_vec())];
    assert_eq!(decode_chunks(&[&stream]), want);
    // Fed in small pieces, it is still reported once.
    let pieces: Vec<&[u8]> = stream.chunks(7).collect();
    assert_eq!(decode_chunks(&pieces), want);
    // One byte over the limit (FCS included) is too long; the limit itself is not.
    let over = Lcg(4).bytes(MAX_FRAME_LEN - FCS_LEN + 1);
    assert_eq!(decode_chunks(&[&encode(&over)]), [Err(FrameError::TooLong)]);
    let at = Lcg(4).bytes(MAX_FRAME_LEN - FCS_LEN);
    assert_eq!(decode_chunks(&[&encode(&at)]), [Ok(at)]);
    // No flag at all for a long time: one report, bounded memory.
    let mut d = AsyncDecoder::new();
    let mut reports = 0;
    for _ in 0..100 {
        d.push(&[0x55; 1000], |r| {
            assert_eq!(r, Err(FrameError::TooLong));
            reports += 1;
        });
    }
    assert_eq!(reports, 1);
    assert!(d.buffer_capacity() <= 2 * MAX_FRAME_LEN);
}

/// What the decoder reports must not depend on where the reads split the stream: an
/// over-long frame ended by an abort (7D 7E) was once reported TooLong then Aborted in
/// one read, and only TooLong across two.
#[test]
fn reports_do_not_depend_on_read_boundaries() {
    let found_by_fuzzing = [
        0x00, 0xc0, 0x21, 0x7d, 0x00, 0x08, 0x8c, 0x81, 0xd6, 0x82, 0xde, 0x00, 0x20, 0x7d, 0x28,
        0x7d, 0x21, 0x7d, 0x24, 0xff, 0x02, 0x00, 0xf8, 0x73, 0x7e,
    ];
    // A run with no flag or escape in it, just over the limit.
    let long: Vec<u8> = Lcg(5)
        .bytes(MAX_FRAME_LEN + 300)
        .into_iter()
        .filter(|&b| b != FLAG && b != ESCAPE)
        .take(MAX_FRAME_LEN + 3)
        .collect();
    let mut streams = vec![
        [&long[..], &[ESCAPE, FLAG], &encode(&LCP_CONFREQ)].concat(),
        [&long[..], &found_by_fuzzing].concat(),
        [&long[..], &[ESCAPE], &found_by_fuzzing].concat(),
    ];
    let mut rng = Lcg(77);
    for _ in 0..40 {
        // Long runs dense in flags and escapes around the limit.
        let len = MAX_FRAME_LEN - 50 + usize::from(rng.next_u8());
        let mut s: Vec<u8> = rng.bytes(len).iter().map(|&b| b & 0x3f).collect();
        for _ in 0..4 {
            let at = usize::from(rng.next_u8()) * len / 256;
            s[at] = if rng.next_u8() & 1 == 0 { ESCAPE } else { FLAG };
        }
        s.extend_from_slice(&[ESCAPE, FLAG]);
        s.extend_from_slice(&encode(&LCP_CONFREQ));
        streams.push(s);
    }
    for stream in &streams {
        let whole = decode_chunks(&[stream]);
        for at in (stream.len().saturating_sub(40)..stream.len()).chain([1, 2, 3, 4096]) {
            let (a, b) = stream.split_at(at.min(stream.len()));
            assert_eq!(decode_chunks(&[a, b]), whole, "split at {at}");
        }
        let pieces: Vec<&[u8]> = stream.chunks(3).collect();
        assert_eq!(decode_chunks(&pieces), whole, "in 3-byte pieces");
    }
}

#[test]
fn garbage_never_panics_and_memory_stays_bounded() {
    // Memory: the frame being assembled (at most MAX_FRAME_LEN) and one push's frames,
    // whatever the input; a push here is at most 255 * 40 bytes.
    let bound = 2 * (MAX_FRAME_LEN + 255 * 40);
    let mut d = AsyncDecoder::new();
    let all: Vec<u8> = (0..=255).collect();
    let check = |r: Result<&[u8], FrameError>| {
        if let Ok(f) = r {
            assert!(f.len() + FCS_LEN <= MAX_FRAME_LEN);
        }
    };
    d.push(&all, check);
    for b in 0..=255u8 {
        d.push(&[b], check);
        d.push(&[b; 9000], check);
    }
    let mut rng = Lcg(42);
    for round in 0..2000 {
        let len = rng.next_u8() as usize * (1 + round % 40);
        // Random streams, some dense in flags and escapes.
        let chunk: Vec<u8> = (0..len)
            .map(|_| match (round % 3, rng.next_u8() % 4) {
                (0, 0) => FLAG,
                (0, 1) => ESCAPE,
                _ => rng.next_u8(),
            })
            .collect();
        d.push(&chunk, check);
        assert!(d.buffer_capacity() <= bound, "{}", d.buffer_capacity());
    }
    // Whatever came before, the next flag resynchronises.
    let mut got = Vec::new();
    d.push(&[FLAG], |_| {});
    d.push(&encode(&LCP_CONFREQ), |r| got.push(r.map(<[u8]>::to_vec)));
    assert_eq!(got, [Ok(LCP_CONFREQ.to_vec())]);
}

#[test]
fn swar_scans_agree_with_byte_scans() {
    let mut rng = Lcg(9);
    for _ in 0..5000 {
        let len = (rng.next_u8() % 40) as usize;
        let data: Vec<u8> = (0..len)
            .map(|_| match rng.next_u8() % 6 {
                0 => FLAG,
                1 => ESCAPE,
                2 => rng.next_u8() & 0x3f,
                3 => rng.next_u8() | 0x80,
                _ => rng.next_u8(),
            })
            .collect();
        let esc = data.iter().position(|&b| NEEDS_ESCAPE[b as usize]);
        assert_eq!(find_escapable(&data), esc.unwrap_or(len), "{data:x?}");
        let fe = data.iter().position(|&b| b == FLAG || b == ESCAPE);
        assert_eq!(find_flag_or_escape(&data), fe.unwrap_or(len), "{data:x?}");
        let f = data.iter().position(|&b| b == FLAG);
        assert_eq!(find_flag(&data), f.unwrap_or(len), "{data:x?}");
    }
}

#[test]
fn swar_scans_agree_on_every_byte_pair() {
    // Both bytes in one word, and straddling two words: a borrow out of the first byte
    // must never hide or invent a match in the second.
    for at in [3, 7] {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let mut data = [0x41u8; 16];
                data[at] = a;
                data[at + 1] = b;
                let esc = data.iter().position(|&b| NEEDS_ESCAPE[b as usize]);
                assert_eq!(find_escapable(&data), esc.unwrap_or(16));
                let fe = data.iter().position(|&b| b == FLAG || b == ESCAPE);
                assert_eq!(find_flag_or_escape(&data), fe.unwrap_or(16));
                let f = data.iter().position(|&b| b == FLAG);
                assert_eq!(find_flag(&data), f.unwrap_or(16));
            }
        }
    }
}

#[test]
fn display() {
    assert_eq!(FrameError::TooShort.to_string(), "frame too short");
    assert_eq!(FrameError::TooLong.to_string(), "frame too long");
    assert_eq!(FrameError::BadFcs.to_string(), "bad fcs");
    assert_eq!(FrameError::Aborted.to_string(), "frame aborted");
}

/// `cargo test --release wire::hdlc -- --ignored --nocapture throughput`
#[test]
#[ignore]
fn throughput() {
    use std::time::Instant;
    const FRAME: usize = 1400;
    const TOTAL: usize = 256 << 20;
    // 64 distinct frames, about 1 byte in 32 needing escape.
    let mut rng = Lcg(2637);
    let frames: Vec<Vec<u8>> = (0..64)
        .map(|_| {
            (0..FRAME)
                .map(|_| {
                    let mut b = rng.next_u8();
                    if rng.next_u8() < 8 {
                        [FLAG, ESCAPE, b & 0x1f][b as usize % 3]
                    } else {
                        while NEEDS_ESCAPE[b as usize] {
                            b = rng.next_u8();
                        }
                        b
                    }
                })
                .collect()
        })
        .collect();
    let count = TOTAL / FRAME;

    let mut out = Vec::with_capacity(2 * FRAME + 8);
    let mut encoded_bytes = 0;
    let start = Instant::now();
    for i in 0..count {
        out.clear();
        encode_async(&frames[i % frames.len()], &mut out);
        encoded_bytes += out.len();
    }
    let enc = start.elapsed();
    let escapes = encoded_bytes - count * (FRAME + 2 + 2);

    // One stream of all 64 frames, decoded in pty-sized reads.
    let mut stream = Vec::new();
    for f in &frames {
        encode_async(f, &mut stream);
    }
    let rounds = count / frames.len();
    let mut d = AsyncDecoder::new();
    let (mut good, mut decoded) = (0, 0);
    let start = Instant::now();
    for _ in 0..rounds {
        for read in stream.chunks(4095) {
            d.push(read, |r| {
                let f = r.unwrap();
                good += 1;
                decoded += f.len();
            });
        }
    }
    let dec = start.elapsed();
    assert_eq!(good, rounds * frames.len());

    let mbps = |bytes: usize, t: std::time::Duration| bytes as f64 / t.as_secs_f64() / 1e6;
    println!(
        "encode: {count} frames of {FRAME} B, {:.2}% escaped, {:.0} MB/s of frame in",
        100.0 * escapes as f64 / (count * FRAME) as f64,
        mbps(count * FRAME, enc)
    );
    println!(
        "decode: {good} frames, {:.0} MB/s of frame out, {:.0} MB/s of stream in",
        mbps(decoded, dec),
        mbps(rounds * stream.len(), dec)
    );
}
