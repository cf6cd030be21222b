//! Netlink (wire::netlink): any bytes as the kernel's answer to a conntrack query, through
//! `messages`, `attrs` and `conntrack_answer`, which must end on any input; and requests
//! built with `Request` from input-chosen attributes (nested too) parse back to them.
#![no_main]

use std::net::{Ipv4Addr, SocketAddrV4};

use libfuzzer_sys::fuzz_target;
use pptp_fuzz::Input;
use pptp_rs::wire::netlink::{
    HEADER_LEN, Request, attr, attrs, conntrack_answer, conntrack_get_by_reply, messages,
};

fuzz_target!(|data: &[u8]| {
    // As an answer.
    let mut used = 0;
    for m in messages(data) {
        let Ok(m) = m else { break };
        used += HEADER_LEN + m.payload.len();
        assert!(used <= data.len());
        let _ = m.error();
        let mut inner = 0;
        for (_, v) in attrs(m.payload) {
            inner += 4 + v.len();
            assert!(inner <= m.payload.len());
            for (_, w) in attrs(v) {
                assert!(w.len() <= v.len());
            }
        }
    }
    let seq = data
        .get(8..12)
        .map_or(0, |s| u32::from_ne_bytes(s.try_into().unwrap()));
    let _ = conntrack_answer(data, seq);

    // As the attributes of a request: plain ones, and nested ones holding one attribute.
    let mut input = Input::new(data);
    let seq = input.u32();
    let mut request = Request::new(input.u16(), input.u16(), seq);
    let mut expect: Vec<(u16, bool, Vec<u8>)> = Vec::new();
    while !input.is_empty() {
        let kind = input.u16() & 0x3fff;
        let b = input.u8();
        let value = input.bytes(usize::from(b & 0x7f)).to_vec();
        let nested = b & 0x80 != 0;
        if nested {
            request.nest(kind, |r| {
                r.attr(kind ^ 1, &value);
            });
        } else {
            request.attr(kind, &value);
        }
        expect.push((kind, nested, value));
    }
    let built = request.finish();
    let all: Vec<_> = messages(&built).collect();
    assert_eq!(all.len(), 1);
    let m = all[0].expect("our own request does not parse");
    assert_eq!(m.seq, seq);
    let got: Vec<_> = attrs(m.payload).collect();
    assert_eq!(got.len(), expect.len(), "attributes lost");
    for ((k, v), (ek, nested, ev)) in got.iter().zip(&expect) {
        assert_eq!(k, ek);
        if *nested {
            assert_eq!(attr(v, ek ^ 1), Some(&ev[..]), "nested value changed");
        } else {
            assert_eq!(v, ev, "attribute value changed");
        }
    }
    let query = conntrack_get_by_reply(
        SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 1723),
        SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 7), seq as u16),
        seq,
    );
    assert_eq!(messages(&query).count(), 1);
});
