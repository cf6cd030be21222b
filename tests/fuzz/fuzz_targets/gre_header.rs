//! The enhanced GRE header (wire::gre): parse on any bytes; what parses is emitted back to
//! the same header bytes (RFC 2637 §4.1 leaves nothing optional that we drop), its length
//! is `header_len`, and the payload is exactly `payload_len` bytes after it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pptp_rs::wire::gre::{GreHeader, MAX_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok((h, payload)) = GreHeader::parse(data) else {
        return;
    };
    let len = h.header_len();
    assert!(len <= MAX_LEN);
    assert_eq!(payload.len(), usize::from(h.payload_len));
    assert_eq!(payload, &data[len..len + payload.len()]);
    let mut out = [0u8; MAX_LEN];
    assert_eq!(h.emit(&mut out), len);
    let mut packet = out[..len].to_vec();
    packet.extend_from_slice(payload);
    let (again, p2) = GreHeader::parse(&packet).expect("our own header does not parse");
    assert_eq!(again, h);
    assert_eq!(p2, payload);
    // Every flag a valid header may carry is one we write: the bytes come back unchanged.
    assert_eq!(&packet[..len], &data[..len]);
});
