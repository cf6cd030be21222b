//! Received datagrams (wire::ipv4 and link::gre_rx::parse, the raw socket's view): any
//! bytes parse or fail cleanly; a payload lies inside the datagram and ends at Total
//! Length; a GRE datagram that gre_rx accepts is IPv4 protocol 47 with a header that parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pptp_rs::link::gre_rx;
use pptp_rs::wire::gre::GreHeader;
use pptp_rs::wire::ipv4::{Ipv4Datagram, PROTOCOL_GRE};

fuzz_target!(|data: &[u8]| {
    let parsed = Ipv4Datagram::parse(data);
    if let Ok(d) = &parsed {
        let total = usize::from(u16::from_be_bytes([data[2], data[3]]));
        let header = usize::from(data[0] & 0x0f) * 4;
        assert_eq!(d.payload, &data[header..total]);
    }
    if let Some(r) = gre_rx::parse(data) {
        let d = parsed.expect("gre_rx took a datagram that is not IPv4");
        assert_eq!(d.protocol, PROTOCOL_GRE);
        let (h, payload) = GreHeader::parse(d.payload).expect("gre_rx took a bad GRE header");
        assert_eq!(h, r.header);
        assert_eq!(payload, r.payload);
    }
});
