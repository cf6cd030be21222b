//! The control connection's TCP framing (wire::ctrl::take_messages, as link::ctrl_stream
//! uses it): the input is a byte stream plus where the reads cut it (partial reads of one
//! byte up to many messages, lying Length fields, lost sync). Asserted: the messages and
//! the framing error are the same however the stream is cut, what stays unread is less
//! than one message, and every whole message the stream carries is either parsed or
//! reported, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pptp_fuzz::reads;
use pptp_rs::wire::Error;
use pptp_rs::wire::ctrl::{ControlMessage, MAX_MESSAGE_LEN, take_messages};

type Seen = Vec<Result<ControlMessage, Error>>;

/// Feeds `stream` in reads of the given sizes; returns what came out and the framing error.
fn run(stream: &[u8], cuts: impl Iterator<Item = usize>) -> (Seen, Option<Error>, usize) {
    let mut buf = Vec::new();
    let mut seen = Vec::new();
    for read in reads(stream, cuts) {
        buf.extend_from_slice(read);
        if let Err(e) = take_messages(&mut buf, |m| seen.push(m)) {
            return (seen, Some(e), buf.len());
        }
        assert!(buf.len() < MAX_MESSAGE_LEN, "unread bytes past one message");
    }
    (seen, None, buf.len())
}

fuzz_target!(|data: &[u8]| {
    // The first byte says how many cut sizes follow; the rest is the stream.
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 32).min(rest.len());
    let (cuts, stream) = rest.split_at(n);
    let whole = run(stream, std::iter::empty());
    let cut = run(stream, cuts.iter().map(|&c| usize::from(c)).cycle());
    assert_eq!(
        whole.0, cut.0,
        "messages depend on where reads cut the stream"
    );
    assert_eq!(
        whole.1, cut.1,
        "framing error depends on where reads cut the stream"
    );
    if whole.1.is_none() {
        assert_eq!(whole.2, cut.2);
    }
    let bytewise = run(stream, std::iter::repeat(1));
    assert_eq!(whole.0, bytewise.0);
    assert_eq!(whole.1, bytewise.1);
});
