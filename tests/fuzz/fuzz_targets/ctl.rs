//! The control socket's text protocol (wire::ctl): any line as a request, a record and a
//! final line. What parses is written back and parses to the same value; escaping is
//! undone by unescaping, and an escaped value is one word without `=` or `%` surprises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pptp_rs::wire::ctl::{Outcome, Record, Request, escape, unescape};

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    if let Ok(r) = Request::parse(&line) {
        let text = r.to_string();
        assert!(
            !text.contains('\n'),
            "a request of more than one line: {text:?}"
        );
        assert_eq!(
            Request::parse(&text).as_ref(),
            Ok(&r),
            "request round trip: {text:?}"
        );
    }
    if let Ok(r) = Record::parse(&line) {
        let text = r.to_string();
        assert!(!text.contains('\n'));
        assert_eq!(
            Record::parse(&text).as_ref(),
            Ok(&r),
            "record round trip: {text:?}"
        );
    }
    if let Some(o) = Outcome::parse(&line) {
        let text = o.to_string();
        assert!(!text.contains('\n'));
        assert!(Outcome::parse(&text).is_some());
    }
    if let Ok(word) = unescape(&line) {
        let _ = escape(&word);
    }
    let escaped = escape(&line);
    assert!(
        escaped.bytes().all(|b| b.is_ascii_graphic() && b != b'='),
        "escaped value is not one plain word: {escaped:?}"
    );
    assert_eq!(
        unescape(&escaped).as_deref(),
        Ok(&*line),
        "escape round trip"
    );
    // A key=value pair of any strings survives a record line.
    let record = Record(vec![(line.to_string(), escaped.clone())]);
    assert_eq!(Record::parse(&record.to_string()), Ok(record));
});
