//! One PPTP control message (wire::ctrl): `ControlMessage::parse` on any bytes, and for
//! what parses, the round trip: emitted at its type's fixed length, parsed back to the
//! same value (unless a text field was not UTF-8), and what we emit reads back to exactly
//! what we wrote; `frame_len` agrees with the header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pptp_rs::wire::ctrl::{ControlMessage, HEADER_LEN, MAX_MESSAGE_LEN, frame_len};

fuzz_target!(|data: &[u8]| {
    let framed = frame_len(data);
    let Ok(msg) = ControlMessage::parse(data) else {
        return;
    };
    // A message that parses is one whole frame of its type's length.
    assert_eq!(framed, Ok(Some(data.len())));
    assert_eq!(data.len(), msg.message_type().message_len());
    assert!((HEADER_LEN..=MAX_MESSAGE_LEN).contains(&data.len()));
    let _ = msg.message_type().to_string();
    let mut out = Vec::new();
    msg.emit(&mut out);
    assert_eq!(out.len(), data.len(), "emitted length differs: {msg:?}");
    let again = ControlMessage::parse(&out).expect("our own message does not parse");
    // Text fields are read as lossy UTF-8 (wire::ctrl's documentation): a byte that is not
    // UTF-8 becomes U+FFFD, three bytes, and the field may then be cut when written back.
    // Otherwise the round trip is exact; and what we write always reads back as written.
    if !format!("{msg:?}").contains('\u{fffd}') {
        assert_eq!(again, msg, "round trip changed the message");
    }
    let mut out2 = Vec::new();
    again.emit(&mut out2);
    assert_eq!(out2, out, "our own message does not round-trip");
    assert_eq!(ControlMessage::parse(&out2).as_ref(), Ok(&again));
});
