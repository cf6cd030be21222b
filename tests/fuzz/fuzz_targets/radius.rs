//! RADIUS packets (wire::radius): `Packet::parse` on any datagram, then every accessor and
//! both verifications, which must fail cleanly on a forgery. What parses is rebuilt with
//! `Builder` (same Code, Identifier and attributes, a Message-Authenticator where it had
//! one), signed as a request or a response, and must then parse back to the same
//! attributes and verify with the secret, and not with another.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pptp_rs::wire::radius::{
    AUTHENTICATOR_LEN, Builder, Code, HEADER_LEN, MAX_PACKET_LEN, Packet, VendorSpecific, attr,
    attribute_name,
};

const SECRET: &[u8] = b"dae-test-secret";

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Packet::parse(data) else {
        return;
    };
    let bytes = p.as_bytes();
    assert_eq!(
        usize::from(u16::from_be_bytes([data[2], data[3]])),
        bytes.len()
    );
    assert!((HEADER_LEN..=MAX_PACKET_LEN).contains(&bytes.len()));
    let mut total = HEADER_LEN;
    for a in p.attributes() {
        total += 2 + a.value.len();
        let _ = attribute_name(a.ty);
        if a.ty == attr::VENDOR_SPECIFIC {
            VendorSpecific::parse(a.value).expect("parse let a bad vendor-specific through");
        }
    }
    assert_eq!(total, bytes.len(), "attributes do not cover the packet");
    let _ = (p.code().name(), p.identifier(), p.authenticator());
    let _ = (
        p.user_name(),
        p.nas_ip_address(),
        p.nas_port(),
        p.framed_ip_address(),
    );
    let _ = (
        p.reply_message(),
        p.state(),
        p.calling_station_id(),
        p.nas_identifier(),
    );
    let _ = (p.acct_session_id(), p.event_timestamp(), p.error_cause());
    let _ = (
        p.proxy_states().count(),
        p.vendor_specific().count(),
        p.count(attr::STATE),
    );
    let _ = p.message_authenticator();
    let _ = p.verify_request(SECRET);
    let _ = p.verify_response(&[7; AUTHENTICATOR_LEN], SECRET);

    // Rebuilt and signed, it verifies.
    let mut out = Vec::new();
    let mut b = Builder::new(&mut out, p.code(), p.identifier());
    let mut expect = Vec::new();
    for a in p.attributes() {
        if a.ty == attr::MESSAGE_AUTHENTICATOR {
            b.message_authenticator()
                .expect("one message-authenticator");
            expect.push((a.ty, None));
        } else {
            b.attribute(a.ty, a.value)
                .expect("an attribute that parsed fits");
            expect.push((a.ty, Some(a.value.to_vec())));
        }
    }
    let request_auth = p.authenticator();
    let signed = if p.code().has_signed_request_authenticator() {
        b.finish_request(SECRET).map(|()| true)
    } else if p.code().is_response() {
        b.finish_response(&request_auth, SECRET).map(|()| false)
    } else {
        return; // Access-Request, Status-Server: authenticators chosen by the client
    };
    let signed_request = signed.expect("a request or response code finishes");
    assert_eq!(out.len(), bytes.len());
    let q = Packet::parse(&out).expect("our own packet does not parse");
    let got: Vec<_> = q
        .attributes()
        .map(|a| {
            (
                a.ty,
                (a.ty != attr::MESSAGE_AUTHENTICATOR).then(|| a.value.to_vec()),
            )
        })
        .collect();
    assert_eq!(got, expect);
    if signed_request {
        q.verify_request(SECRET)
            .expect("our signed request does not verify");
        assert!(
            q.verify_request(b"other").is_err(),
            "verified with another secret"
        );
    } else {
        q.verify_response(&request_auth, SECRET)
            .expect("our signed response does not verify");
        assert!(q.verify_response(&request_auth, b"other").is_err());
    }
    let _ = Code::from_u8(data[0]);
});
