//! Parsing, authenticating and building RADIUS packets; vectors in `test_vectors.rs`.

use super::names::{ATTRIBUTES, CODES, ERROR_CAUSES};
use super::test_vectors::*;
use super::*;

/// A packet with `attrs` after a Disconnect-Request header whose Length is set to fit.
fn with_attrs(attrs: &[u8]) -> Vec<u8> {
    let mut p = vec![0x28, 1, 0, 0];
    p.extend_from_slice(&[0; 16]);
    p.extend_from_slice(attrs);
    let len = p.len() as u16;
    p[2..4].copy_from_slice(&len.to_be_bytes());
    p
}

/// Signs `p` (a Disconnect-Request) in place with its Request Authenticator.
fn resign(p: &mut [u8]) {
    let auth = signed_request_authenticator(p, SECRET);
    p[4..20].copy_from_slice(&auth);
}

// ==== Parsing ====

#[test]
fn parses_plain_disconnect() {
    let p = Packet::parse(&DISCONNECT_PLAIN).unwrap();
    assert_eq!(p.code(), Code::DisconnectRequest);
    assert_eq!(p.identifier(), 39);
    assert_eq!(p.authenticator()[..], DISCONNECT_PLAIN[4..20]);
    assert_eq!(p.as_bytes(), &DISCONNECT_PLAIN[..]);
    assert_eq!(p.user_name(), Some(&b"alice"[..]));
    assert_eq!(p.message_authenticator(), None);
    assert_eq!(p.attributes().count(), 1);
}

#[test]
fn reads_every_accessor() {
    let p = Packet::parse(&DISCONNECT_FULL).unwrap();
    assert_eq!(p.user_name(), Some(&b"alice"[..]));
    assert_eq!(
        p.framed_ip_address(),
        Ok(Some(Ipv4Addr::new(192, 0, 2, 10)))
    );
    assert_eq!(p.acct_session_id(), Some(&b"5F3A0001"[..]));
    assert_eq!(p.calling_station_id(), Some(&b"198.51.100.7"[..]));
    assert_eq!(p.nas_ip_address(), Ok(Some(Ipv4Addr::new(192, 0, 2, 1))));
    assert_eq!(p.nas_identifier(), Some(&b"pptpd"[..]));
    assert_eq!(p.event_timestamp(), Ok(Some(1_700_000_000)));
    let proxy: Vec<&[u8]> = p.proxy_states().collect();
    assert_eq!(proxy, [&b"proxy-1"[..], b"2"]);
    assert_eq!(
        p.message_authenticator().unwrap()[..],
        DISCONNECT_FULL[90..106]
    );
    assert_eq!(p.count(attr::PROXY_STATE), 2);
    assert_eq!(p.nas_port(), Ok(None));
    assert_eq!(p.state(), None);
    assert_eq!(p.reply_message(), None);
    assert_eq!(p.error_cause(), Ok(None));
    let types: Vec<u8> = p.attributes().map(|a| a.ty).collect();
    assert_eq!(types, [1, 8, 44, 31, 4, 32, 55, 33, 33, 80]);
}

#[test]
fn reads_error_cause_and_integers() {
    let p = Packet::parse(&NAK_TO_FULL).unwrap();
    assert_eq!(p.code(), Code::DisconnectNak);
    assert_eq!(p.error_cause(), Ok(Some(503)));
    assert_eq!(
        ErrorCause::from_u32(503),
        Some(ErrorCause::SessionContextNotFound)
    );
    let coa = Packet::parse(&COA).unwrap();
    assert_eq!(coa.first(attr::SESSION_TIMEOUT), Some(&[0, 0, 0, 60][..]));
}

#[test]
fn wrong_sized_values_are_reported_by_the_accessors() {
    let p = with_attrs(&[8, 5, 1, 2, 3, 5, 4, 0, 1, 55, 7, 0, 0, 0, 0, 0]);
    let p = Packet::parse(&p).unwrap();
    let bad = |attr, len| Error::BadValueLength { attr, len };
    assert_eq!(p.framed_ip_address(), Err(bad(attr::FRAMED_IP_ADDRESS, 3)));
    assert_eq!(p.nas_port(), Err(bad(attr::NAS_PORT, 2)));
    assert_eq!(p.event_timestamp(), Err(bad(attr::EVENT_TIMESTAMP, 5)));
}

#[test]
fn ignores_padding_beyond_length() {
    let mut padded = DISCONNECT_FULL.to_vec();
    padded.extend_from_slice(&[0xff; 9]);
    let p = Packet::parse(&padded).unwrap();
    assert_eq!(p.as_bytes(), &DISCONNECT_FULL[..]);
    assert_eq!(p.verify_request(SECRET), Ok(()));
}

#[test]
fn vendor_specific_splits_vendor_id() {
    let p = with_attrs(&[26, 9, 0, 0, 0x01, 0x37, 1, 3, b'x']);
    let p = Packet::parse(&p).unwrap();
    let vsa: Vec<_> = p.vendor_specific().collect();
    assert_eq!(
        vsa,
        [VendorSpecific {
            vendor_id: 311,
            data: &[1, 3, b'x']
        }]
    );
    assert_eq!(
        VendorSpecific::parse(&[0, 0, 0, 9]),
        Err(Error::BadValueLength { attr: 26, len: 4 })
    );
}

#[test]
fn accepts_the_largest_packet() {
    let mut attrs = Vec::new();
    while attrs.len() + 255 <= MAX_PACKET_LEN - HEADER_LEN {
        attrs.extend_from_slice(&[18, 255]);
        attrs.extend_from_slice(&[b'm'; 253]);
    }
    let rest = MAX_PACKET_LEN - HEADER_LEN - attrs.len();
    attrs.extend_from_slice(&[18, rest as u8]);
    attrs.resize(MAX_PACKET_LEN - HEADER_LEN, b'm');
    let p = with_attrs(&attrs);
    assert_eq!(p.len(), MAX_PACKET_LEN);
    assert_eq!(Packet::parse(&p).unwrap().as_bytes().len(), MAX_PACKET_LEN);
}

// ==== Malformed packets ====

#[test]
fn truncated_header_is_rejected() {
    for len in 0..HEADER_LEN {
        assert_eq!(
            Packet::parse(&DISCONNECT_PLAIN[..len]),
            Err(Error::Truncated {
                need: 20,
                have: len
            })
        );
    }
}

#[test]
fn length_beyond_buffer_is_truncated() {
    for len in HEADER_LEN..DISCONNECT_FULL.len() {
        assert_eq!(
            Packet::parse(&DISCONNECT_FULL[..len]),
            Err(Error::Truncated {
                need: 106,
                have: len
            })
        );
    }
}

#[test]
fn length_field_outside_20_to_4096_is_rejected() {
    for length in [0u16, 1, 19, 4097, 0xffff] {
        let mut p = DISCONNECT_PLAIN;
        p[2..4].copy_from_slice(&length.to_be_bytes());
        assert_eq!(Packet::parse(&p), Err(Error::BadLength(length)));
    }
}

#[test]
fn oversize_datagram_is_rejected() {
    let mut p = DISCONNECT_PLAIN.to_vec();
    p.resize(MAX_PACKET_LEN + 1, 0);
    assert_eq!(Packet::parse(&p), Err(Error::Oversize(4097)));
}

#[test]
fn unknown_code_is_rejected() {
    for code in [0u8, 6, 10, 14, 39, 46, 255] {
        let mut p = DISCONNECT_PLAIN;
        p[0] = code;
        assert_eq!(Packet::parse(&p), Err(Error::UnknownCode(code)));
    }
}

#[test]
fn attribute_length_0_or_1_is_rejected() {
    for length in [0u8, 1] {
        let p = with_attrs(&[1, 3, b'a', 18, length, 0, 0]);
        assert_eq!(
            Packet::parse(&p),
            Err(Error::BadAttributeLength { at: 23, length })
        );
    }
}

#[test]
fn attribute_past_the_end_is_rejected() {
    let p = with_attrs(&[1, 3, b'a', 18, 6, b'x', b'y']);
    assert_eq!(Packet::parse(&p), Err(Error::AttributeOverrun { at: 23 }));
    // A lone Type octet with no Length after it.
    let p = with_attrs(&[1, 3, b'a', 18]);
    assert_eq!(Packet::parse(&p), Err(Error::AttributeOverrun { at: 23 }));
    // Length cuts the last attribute even though the buffer holds it: padding is not data.
    let mut p = with_attrs(&[1, 3, b'a', 18, 4, b'x', b'y']);
    p[3] -= 1;
    assert_eq!(Packet::parse(&p), Err(Error::AttributeOverrun { at: 23 }));
}

#[test]
fn vendor_specific_too_short_is_rejected() {
    for value_len in 0..5 {
        let mut attrs = vec![26, 2 + value_len as u8];
        attrs.resize(2 + value_len, 0);
        assert_eq!(
            Packet::parse(&with_attrs(&attrs)),
            Err(Error::BadValueLength {
                attr: 26,
                len: value_len
            })
        );
    }
    assert!(Packet::parse(&with_attrs(&[26, 7, 0, 0, 0, 9, 1])).is_ok());
}

#[test]
fn message_authenticator_of_wrong_size_or_twice_is_rejected() {
    for value_len in [0usize, 15, 17] {
        let mut attrs = vec![80, 2 + value_len as u8];
        attrs.resize(2 + value_len, 0);
        assert_eq!(
            Packet::parse(&with_attrs(&attrs)),
            Err(Error::BadValueLength {
                attr: 80,
                len: value_len
            })
        );
    }
    let mut attrs = vec![80, 18];
    attrs.resize(18, 0);
    attrs.extend_from_within(..);
    assert_eq!(
        Packet::parse(&with_attrs(&attrs)),
        Err(Error::DuplicateMessageAuthenticator)
    );
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for packet in [&DISCONNECT_FULL[..], &COA[..], &NAK_TO_FULL[..]] {
        for len in 0..packet.len() {
            // With the Length field left alone, and with it cut to fit the buffer.
            assert!(Packet::parse(&packet[..len]).is_err());
            if len >= HEADER_LEN {
                let mut cut = packet[..len].to_vec();
                cut[2..4].copy_from_slice(&(len as u16).to_be_bytes());
                if let Ok(p) = Packet::parse(&cut) {
                    assert!(p.verify_request(SECRET).is_err() || p.code().is_response());
                }
            }
        }
    }
}

#[test]
fn every_single_byte_corruption_is_handled() {
    for at in 0..DISCONNECT_FULL.len() {
        for value in 0..=255u8 {
            let mut p = DISCONNECT_FULL;
            p[at] = value;
            if let Ok(packet) = Packet::parse(&p) {
                let _ = packet.attributes().count();
                let _ = packet.framed_ip_address();
                let _ = packet.event_timestamp();
                let verified = packet.verify_request(SECRET);
                // Any change to the signed octets must fail authentication.
                assert!(value == DISCONNECT_FULL[at] || verified.is_err());
            }
        }
    }
}

// ==== Authenticators ====

#[test]
fn radclient_requests_authenticate() {
    for p in [&DISCONNECT_PLAIN[..], &DISCONNECT_FULL[..], &COA[..]] {
        assert_eq!(Packet::parse(p).unwrap().verify_request(SECRET), Ok(()));
    }
    assert_eq!(
        Packet::parse(&BUILT_REQUEST)
            .unwrap()
            .verify_request(SECRET),
        Ok(())
    );
}

#[test]
fn wrong_secret_is_a_bad_authenticator() {
    for p in [&DISCONNECT_PLAIN[..], &DISCONNECT_FULL[..], &COA[..]] {
        let p = Packet::parse(p).unwrap();
        assert_eq!(
            p.verify_request(b"dae-test-secreT"),
            Err(Error::BadAuthenticator)
        );
        assert_eq!(p.verify_request(b""), Err(Error::BadAuthenticator));
    }
}

#[test]
fn changed_attribute_is_a_bad_authenticator() {
    let mut p = DISCONNECT_PLAIN;
    p[26] = b'x'; // "alicx"
    assert_eq!(
        Packet::parse(&p).unwrap().verify_request(SECRET),
        Err(Error::BadAuthenticator)
    );
}

#[test]
fn bad_message_authenticator_under_a_good_request_authenticator() {
    // A sender that knows the secret but computes the HMAC wrongly: flip the MA, re-sign.
    let mut p = DISCONNECT_FULL;
    p[100] ^= 1;
    resign(&mut p);
    assert_eq!(
        Packet::parse(&p).unwrap().verify_request(SECRET),
        Err(Error::BadMessageAuthenticator)
    );
    // The HMAC keyed over the received Authenticator instead of zeros (the Access-Request
    // rule applied to a Disconnect-Request) is refused too.
    let mut p = DISCONNECT_FULL;
    let auth: Authenticator = p[4..20].try_into().unwrap();
    let mac = message_authenticator(&p, 88, &auth, SECRET);
    p[90..106].copy_from_slice(&mac);
    resign(&mut p);
    assert_eq!(
        Packet::parse(&p).unwrap().verify_request(SECRET),
        Err(Error::BadMessageAuthenticator)
    );
}

#[test]
fn verify_request_refuses_responses() {
    let p = Packet::parse(&ACK_TO_PLAIN).unwrap();
    assert_eq!(
        p.verify_request(SECRET),
        Err(Error::WrongCode(Code::DisconnectAck))
    );
    let p = Packet::parse(&DISCONNECT_PLAIN).unwrap();
    assert_eq!(
        p.verify_response(&[0; 16], SECRET),
        Err(Error::WrongCode(Code::DisconnectRequest))
    );
}

#[test]
fn access_request_checks_only_its_message_authenticator() {
    // Access-Request: random authenticator; the HMAC covers it as sent (RFC 3579 §3.2).
    let mut p = with_attrs(&[
        1, 3, b'a', 80, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    p[0] = Code::AccessRequest as u8;
    p[4..20].copy_from_slice(&[0x5a; 16]);
    let mac = message_authenticator(&p, 23, &[0x5a; 16], SECRET);
    p[25..41].copy_from_slice(&mac);
    assert_eq!(Packet::parse(&p).unwrap().verify_request(SECRET), Ok(()));
    p[4] ^= 1;
    assert_eq!(
        Packet::parse(&p).unwrap().verify_request(SECRET),
        Err(Error::BadMessageAuthenticator)
    );
}

#[test]
fn replies_authenticate_against_their_request() {
    for (reply, request) in [
        (&ACK_TO_PLAIN[..], &DISCONNECT_PLAIN[..]),
        (&NAK_TO_FULL[..], &DISCONNECT_FULL[..]),
        (&ACK_TO_FULL[..], &DISCONNECT_FULL[..]),
        (&COA_NAK[..], &COA[..]),
    ] {
        let request = Packet::parse(request).unwrap().authenticator();
        let reply = Packet::parse(reply).unwrap();
        assert_eq!(reply.verify_response(&request, SECRET), Ok(()));
        assert_eq!(
            reply.verify_response(&[0; 16], SECRET),
            Err(Error::BadAuthenticator)
        );
        assert_eq!(
            reply.verify_response(&request, b"other"),
            Err(Error::BadAuthenticator)
        );
    }
}

#[test]
fn reply_message_authenticator_keyed_with_zeros_is_refused() {
    // What radclient dropped: the reply's HMAC over a zero Authenticator field.
    let request = Packet::parse(&DISCONNECT_FULL).unwrap().authenticator();
    let mut p = NAK_TO_FULL;
    let mac = message_authenticator(&p, 38, &[0; 16], SECRET);
    p[40..56].copy_from_slice(&mac);
    let auth = response_authenticator(&p, &request, SECRET);
    p[4..20].copy_from_slice(&auth);
    assert_eq!(
        Packet::parse(&p).unwrap().verify_response(&request, SECRET),
        Err(Error::BadMessageAuthenticator)
    );
}

// ==== Building ====

#[test]
fn builds_the_replies_byte_for_byte() {
    let full = Packet::parse(&DISCONNECT_FULL).unwrap();
    let mut out = Vec::new();

    let plain = Packet::parse(&DISCONNECT_PLAIN).unwrap();
    Builder::new(&mut out, Code::DisconnectAck, plain.identifier())
        .finish_response(&plain.authenticator(), SECRET)
        .unwrap();
    assert_eq!(out, ACK_TO_PLAIN);

    let mut b = Builder::new(&mut out, Code::DisconnectNak, full.identifier());
    for state in full.proxy_states() {
        b.attribute(attr::PROXY_STATE, state).unwrap();
    }
    b.error_cause(ErrorCause::SessionContextNotFound).unwrap();
    b.message_authenticator().unwrap();
    b.finish_response(&full.authenticator(), SECRET).unwrap();
    assert_eq!(out, NAK_TO_FULL);

    let mut b = Builder::new(&mut out, Code::DisconnectAck, full.identifier());
    for state in full.proxy_states() {
        b.attribute(attr::PROXY_STATE, state).unwrap();
    }
    b.message_authenticator().unwrap();
    b.finish_response(&full.authenticator(), SECRET).unwrap();
    assert_eq!(out, ACK_TO_FULL);

    let coa = Packet::parse(&COA).unwrap();
    let mut b = Builder::new(&mut out, Code::CoaNak, coa.identifier());
    b.error_cause(ErrorCause::UnsupportedService).unwrap();
    b.message_authenticator().unwrap();
    b.finish_response(&coa.authenticator(), SECRET).unwrap();
    assert_eq!(out, COA_NAK);
}

#[test]
fn builds_a_request_byte_for_byte() {
    let mut out = vec![0xee; 7]; // cleared by the builder
    let mut b = Builder::new(&mut out, Code::DisconnectRequest, 1);
    b.text(attr::USER_NAME, "bob").unwrap();
    b.message_authenticator().unwrap();
    b.finish_request(SECRET).unwrap();
    assert_eq!(out, BUILT_REQUEST);

    // And radclient's own plain request, from its attribute.
    let mut b = Builder::new(&mut out, Code::DisconnectRequest, 39);
    b.text(attr::USER_NAME, "alice").unwrap();
    b.finish_request(SECRET).unwrap();
    assert_eq!(out, DISCONNECT_PLAIN);
}

#[test]
fn typed_builders_round_trip() {
    let mut out = Vec::new();
    let mut b = Builder::new(&mut out, Code::DisconnectRequest, 9);
    b.ipv4(attr::FRAMED_IP_ADDRESS, Ipv4Addr::new(10, 0, 0, 7))
        .unwrap();
    b.integer(attr::EVENT_TIMESTAMP, 1_234_567_890).unwrap();
    b.vendor_specific(311, &[1, 3, b'z']).unwrap();
    b.finish_request(SECRET).unwrap();
    let p = Packet::parse(&out).unwrap();
    assert_eq!(p.verify_request(SECRET), Ok(()));
    assert_eq!(p.framed_ip_address(), Ok(Some(Ipv4Addr::new(10, 0, 0, 7))));
    assert_eq!(p.event_timestamp(), Ok(Some(1_234_567_890)));
    assert_eq!(p.vendor_specific().next().unwrap().vendor_id, 311);
}

#[test]
fn builder_refuses_what_cannot_be_sent() {
    let mut out = Vec::new();
    let mut b = Builder::new(&mut out, Code::DisconnectRequest, 1);
    assert_eq!(
        b.attribute(attr::REPLY_MESSAGE, &[b'x'; 254]),
        Err(Error::ValueTooLong { attr: 18, len: 254 })
    );
    assert!(b.attribute(attr::REPLY_MESSAGE, &[b'x'; 253]).is_ok());
    assert_eq!(
        b.vendor_specific(1, &[]),
        Err(Error::BadValueLength { attr: 26, len: 4 })
    );
    assert_eq!(
        b.vendor_specific(1, &[0; 250]),
        Err(Error::BadValueLength { attr: 26, len: 254 })
    );
    b.message_authenticator().unwrap();
    assert_eq!(
        b.message_authenticator(),
        Err(Error::DuplicateMessageAuthenticator)
    );
    let mut filled = Ok(());
    while filled.is_ok() {
        filled = b.attribute(attr::REPLY_MESSAGE, &[b'y'; 200]);
    }
    assert!(matches!(filled, Err(Error::PacketTooLong(len)) if len > MAX_PACKET_LEN));
    b.finish_request(SECRET).unwrap();
    assert!(out.len() <= MAX_PACKET_LEN);
    assert_eq!(Packet::parse(&out).unwrap().verify_request(SECRET), Ok(()));

    let b = Builder::new(&mut out, Code::AccessRequest, 1);
    assert_eq!(
        b.finish_request(SECRET),
        Err(Error::WrongCode(Code::AccessRequest))
    );
    let b = Builder::new(&mut out, Code::DisconnectRequest, 1);
    assert_eq!(
        b.finish_response(&[0; 16], SECRET),
        Err(Error::WrongCode(Code::DisconnectRequest))
    );
}

// ==== Tables ====

#[test]
fn codes_round_trip_with_their_names() {
    for (code, name) in CODES {
        assert_eq!(Code::from_u8(code as u8), Some(code));
        assert_eq!(code.to_string(), name);
    }
    assert_eq!(Code::DisconnectNak as u8, 42);
    assert_eq!(Code::CoaNak.to_string(), "CoA-NAK");
    assert!(Code::CoaRequest.has_signed_request_authenticator());
    assert!(!Code::AccessRequest.has_signed_request_authenticator());
    assert!(Code::DisconnectAck.is_response() && !Code::StatusServer.is_response());
}

#[test]
fn error_causes_round_trip_with_their_names() {
    let values: Vec<u32> = ERROR_CAUSES.iter().map(|(c, _)| c.value()).collect();
    assert_eq!(
        values,
        [
            201, 202, 401, 402, 403, 404, 405, 406, 407, 501, 502, 503, 504, 505, 506, 507, 508
        ]
    );
    for (cause, _) in ERROR_CAUSES {
        assert_eq!(ErrorCause::from_u32(cause.value()), Some(cause));
    }
    assert_eq!(ErrorCause::from_u32(400), None);
    assert_eq!(
        ErrorCause::SessionContextNotFound.to_string(),
        "503 Session Context Not Found"
    );
    assert_eq!(
        ErrorCause::MultipleSessionSelectionUnsupported.name(),
        "Multiple Session Selection Unsupported"
    );
    assert!(ErrorCause::ResidualSessionContextRemoved.is_success());
    assert!(!ErrorCause::UnsupportedAttribute.is_success());
}

#[test]
fn attribute_names() {
    assert_eq!(attribute_name(attr::PROXY_STATE), Some("Proxy-State"));
    assert_eq!(attribute_name(200), None);
    assert_eq!(AttrName(44).to_string(), "Acct-Session-Id");
    assert_eq!(AttrName(200).to_string(), "attribute-200");
    for (ty, _) in ATTRIBUTES {
        assert_eq!(ATTRIBUTES.iter().filter(|(t, _)| *t == ty).count(), 1);
    }
}

#[test]
fn errors_display_as_short_phrases() {
    assert_eq!(
        Error::BadValueLength { attr: 80, len: 3 }.to_string(),
        "bad value length=3 for Message-Authenticator"
    );
    assert_eq!(
        Error::Truncated { need: 20, have: 3 }.to_string(),
        "truncated: need=20 have=3"
    );
    assert_eq!(
        Error::WrongCode(Code::CoaAck).to_string(),
        "not applicable to CoA-ACK"
    );
}
