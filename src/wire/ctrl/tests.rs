use super::*;

/// Concatenates annotated pieces of a vector.
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A text field: `s` followed by NULs up to `n` bytes.
fn text(s: &[u8], n: usize) -> Vec<u8> {
    let mut field = s.to_vec();
    field.resize(n, 0);
    field
}

fn emitted(m: &ControlMessage) -> Vec<u8> {
    let mut out = Vec::new();
    m.emit(&mut out);
    out
}

/// Parses `bytes` to `expected`, frames it whole, and emits it back byte for byte.
fn check_vector(bytes: &[u8], expected: ControlMessage) {
    assert_eq!(bytes.len(), expected.message_type().message_len());
    assert_eq!(frame_len(bytes), Ok(Some(bytes.len())));
    assert_eq!(ControlMessage::parse(bytes), Ok(expected.clone()));
    assert_eq!(emitted(&expected), bytes);
}

/// Start-Control-Connection-Request as pptp-linux sends it (pptp_options.h).
fn sccrq_pptp_linux() -> Vec<u8> {
    cat(&[
        &[0x00, 0x9c],             // length 156
        &[0x00, 0x01],             // control message
        &[0x1a, 0x2b, 0x3c, 0x4d], // magic cookie
        &[0x00, 0x01],             // SCCRQ
        &[0x00, 0x00],             // reserved0
        &[0x01, 0x00],             // protocol version 1.0
        &[0x00, 0x00],             // reserved1
        &[0x00, 0x00, 0x00, 0x03], // framing: async | sync
        &[0x00, 0x00, 0x00, 0x03], // bearer: analog | digital
        &[0xff, 0xff],             // maximum channels 65535
        &[0x00, 0x01],             // firmware revision 1
        &text(b"local", 64),
        &text(b"cananian", 64),
    ])
}

#[test]
fn sccrq_as_pptp_linux_sends() {
    let expected = ControlMessage::StartCtrlConnRequest(StartCtrlConn {
        protocol_version: PROTOCOL_VERSION,
        result_code: 0,
        error_code: 0,
        framing_capabilities: 3,
        bearer_capabilities: 3,
        maximum_channels: 65535,
        firmware_revision: 1,
        host_name: "local".into(),
        vendor: "cananian".into(),
    });
    check_vector(&sccrq_pptp_linux(), expected);
}

#[test]
fn sccrp_as_poptop_sends() {
    let bytes = cat(&[
        &[0x00, 0x9c, 0x00, 0x01, 0x1a, 0x2b, 0x3c, 0x4d], // length 156, control, magic
        &[0x00, 0x02, 0x00, 0x00],                         // SCCRP, reserved0
        &[0x01, 0x00],                                     // protocol version 1.0
        &[0x01],                                           // result: success
        &[0x00],                                           // error: none
        &[0x00, 0x00, 0x00, 0x00],                         // framing capabilities 0
        &[0x00, 0x00, 0x00, 0x00],                         // bearer capabilities 0
        &[0x00, 0x01],                                     // maximum channels 1
        &[0x00, 0x01],                                     // firmware revision 1
        &text(b"local", 64),
        &text(b"linux", 64),
    ]);
    let expected = ControlMessage::StartCtrlConnReply(StartCtrlConn {
        protocol_version: PROTOCOL_VERSION,
        result_code: 1,
        error_code: 0,
        framing_capabilities: 0,
        bearer_capabilities: 0,
        maximum_channels: 1,
        firmware_revision: 1,
        host_name: "local".into(),
        vendor: "linux".into(),
    });
    check_vector(&bytes, expected);
}

#[test]
fn ocrq_as_pptp_linux_sends() {
    let bytes = cat(&[
        &[0x00, 0xa8, 0x00, 0x01, 0x1a, 0x2b, 0x3c, 0x4d], // length 168, control, magic
        &[0x00, 0x07, 0x00, 0x00],                         // OCRQ, reserved0
        &[0x9a, 0x3c],                                     // call id
        &[0x00, 0x00],                                     // call serial number 0
        &[0x00, 0x00, 0x09, 0x60],                         // minimum bps 2400
        &[0x00, 0x98, 0x96, 0x80],                         // maximum bps 10,000,000
        &[0x00, 0x00, 0x00, 0x03],                         // bearer: any
        &[0x00, 0x00, 0x00, 0x03],                         // framing: any
        &[0x00, 0x03],                                     // packet receive window 3
        &[0x00, 0x00],                                     // processing delay 0
        &[0x00, 0x07],                                     // phone number length 7
        &[0x00, 0x00],                                     // reserved
        &text(b"5551234", 64),
        &text(b"", 64), // subaddress
    ]);
    let expected = ControlMessage::OutgoingCallRequest(OutgoingCallRequest {
        call_id: 0x9a3c,
        call_serial: 0,
        minimum_bps: 2400,
        maximum_bps: 10_000_000,
        bearer_type: 3,
        framing_type: 3,
        recv_window: 3,
        processing_delay: 0,
        phone_number: "5551234".into(),
        subaddress: String::new(),
    });
    check_vector(&bytes, expected);
}

#[test]
fn ocrp_as_poptop_sends() {
    let bytes = cat(&[
        &[0x00, 0x20, 0x00, 0x01, 0x1a, 0x2b, 0x3c, 0x4d], // length 32, control, magic
        &[0x00, 0x08, 0x00, 0x00],                         // OCRP, reserved0
        &[0x00, 0x80],                                     // call id 128
        &[0x9a, 0x3c],                                     // peer's call id
        &[0x01, 0x00],                                     // result: connected, error: none
        &[0x00, 0x00],                                     // cause code
        &[0x00, 0x98, 0x96, 0x80], // connect speed: the client's maximum echoed
        &[0x00, 0x03],             // receive window: the client's echoed
        &[0x00, 0x00],             // processing delay
        &[0x00, 0x00, 0x00, 0x00], // physical channel id
    ]);
    let expected = ControlMessage::OutgoingCallReply(OutgoingCallReply {
        call_id: 128,
        peer_call_id: 0x9a3c,
        result_code: 1,
        error_code: 0,
        cause_code: 0,
        connect_speed: 10_000_000,
        recv_window: 3,
        processing_delay: 0,
        physical_channel_id: 0,
    });
    check_vector(&bytes, expected);
}

#[test]
fn echo_request_and_reply() {
    let request = [
        0x00, 0x10, 0x00, 0x01, 0x1a, 0x2b, 0x3c, 0x4d, // length 16, control, magic
        0x00, 0x05, 0x00, 0x00, // Echo-Request, reserved0
        0x00, 0x00, 0x00, 0x01, // identifier 1
    ];
    check_vector(&request, ControlMessage::EchoRequest { identifier: 1 });
    let reply = [
        0x00, 0x14, 0x00, 0x01, 0x1a, 0x2b, 0x3c, 0x4d, // length 20, control, magic
        0x00, 0x06, 0x00, 0x00, // Echo-Reply, reserved0
        0x01, 0x00, 0x00, 0x00, // identifier in pptpd's host order, echoed raw
        0x01, 0x00, // result: OK, error: none
        0x00, 0x00, // reserved
    ];
    let expected = ControlMessage::EchoReply {
        identifier: 0x0100_0000,
        result_code: 1,
        error_code: 0,
    };
    check_vector(&reply, expected);
}

#[test]
fn cdn_admin_shutdown() {
    let bytes = cat(&[
        &[0x00, 0x94, 0x00, 0x01, 0x1a, 0x2b, 0x3c, 0x4d], // length 148, control, magic
        &[0x00, 0x0d, 0x00, 0x00],                         // CDN, reserved0
        &[0x00, 0x80],                                     // call id 128
        &[0x03, 0x00],                                     // result: admin shutdown, error: none
        &[0x00, 0x00],                                     // cause code
        &[0x00, 0x00],                                     // reserved
        &text(b"bye", 128),                                // call statistics
    ]);
    let expected = ControlMessage::CallDisconnectNotify(CallDisconnectNotify {
        call_id: 128,
        result_code: 3,
        error_code: 0,
        cause_code: 0,
        call_statistics: "bye".into(),
    });
    check_vector(&bytes, expected);
}

/// One value of every message type, in type order, with distinct nonzero fields.
fn samples() -> Vec<ControlMessage> {
    use ControlMessage as M;
    let start = StartCtrlConn {
        protocol_version: PROTOCOL_VERSION,
        result_code: 0,
        error_code: 0,
        framing_capabilities: 1,
        bearer_capabilities: 2,
        maximum_channels: 3,
        firmware_revision: 4,
        host_name: "host".into(),
        vendor: "vendor".into(),
    };
    let reply = StartCtrlConn {
        result_code: 5,
        error_code: 6,
        ..start.clone()
    };
    vec![
        M::StartCtrlConnRequest(start),
        M::StartCtrlConnReply(reply),
        M::StopCtrlConnRequest { reason: 3 },
        M::StopCtrlConnReply {
            result_code: 2,
            error_code: 6,
        },
        M::EchoRequest {
            identifier: 0xdead_beef,
        },
        M::EchoReply {
            identifier: 0xdead_beef,
            result_code: 2,
            error_code: 4,
        },
        M::OutgoingCallRequest(OutgoingCallRequest {
            call_id: 1,
            call_serial: 2,
            minimum_bps: 3,
            maximum_bps: 4,
            bearer_type: 5,
            framing_type: 6,
            recv_window: 7,
            processing_delay: 8,
            phone_number: "+1 555 0100".into(),
            subaddress: "sub".into(),
        }),
        M::OutgoingCallReply(OutgoingCallReply {
            call_id: 1,
            peer_call_id: 2,
            result_code: 3,
            error_code: 4,
            cause_code: 5,
            connect_speed: 6,
            recv_window: 7,
            processing_delay: 8,
            physical_channel_id: 9,
        }),
        M::IncomingCallRequest(IncomingCallRequest {
            call_id: 1,
            call_serial: 2,
            bearer_type: 3,
            physical_channel_id: 4,
            dialed_number: "100".into(),
            dialing_number: "200".into(),
            subaddress: "300".into(),
        }),
        M::IncomingCallReply(IncomingCallReply {
            call_id: 1,
            peer_call_id: 2,
            result_code: 3,
            error_code: 4,
            recv_window: 5,
            transmit_delay: 6,
        }),
        M::IncomingCallConnected(IncomingCallConnected {
            peer_call_id: 1,
            connect_speed: 2,
            recv_window: 3,
            transmit_delay: 4,
            framing_type: 5,
        }),
        M::CallClearRequest { call_id: 0xfffe },
        M::CallDisconnectNotify(CallDisconnectNotify {
            call_id: 1,
            result_code: 2,
            error_code: 3,
            cause_code: 4,
            call_statistics: "statistics".into(),
        }),
        M::WanErrorNotify(WanErrorNotify {
            peer_call_id: 1,
            crc_errors: 2,
            framing_errors: 3,
            hardware_overruns: 4,
            buffer_overruns: 5,
            timeout_errors: 6,
            alignment_errors: 7,
        }),
        M::SetLinkInfo(SetLinkInfo {
            peer_call_id: 1,
            send_accm: 0xffff_ffff,
            recv_accm: 0x0000_000a,
        }),
    ]
}

#[test]
fn every_type_round_trips() {
    let samples = samples();
    assert_eq!(samples.len(), 15);
    for (i, m) in samples.iter().enumerate() {
        assert_eq!(m.message_type() as usize, i + 1);
        let bytes = emitted(m);
        assert_eq!(bytes.len(), m.message_type().message_len(), "{m:?}");
        assert_eq!(frame_len(&bytes), Ok(Some(bytes.len())));
        assert_eq!(ControlMessage::parse(&bytes).as_ref(), Ok(m));
    }
}

#[test]
fn emit_appends() {
    let mut out = vec![0xaa];
    ControlMessage::CallClearRequest { call_id: 7 }.emit(&mut out);
    assert_eq!(
        out,
        [
            0xaa, 0, 16, 0, 1, 0x1a, 0x2b, 0x3c, 0x4d, 0, 12, 0, 0, 0, 7, 0, 0
        ]
    );
}

#[test]
fn message_type_numbers_and_lengths() {
    assert_eq!(MessageType::from_u16(0), None);
    assert_eq!(MessageType::from_u16(16), None);
    assert_eq!(MessageType::from_u16(u16::MAX), None);
    let lengths = [
        156, 156, 16, 16, 16, 20, 168, 32, 220, 24, 28, 16, 148, 40, 24,
    ];
    for (v, len) in (1..=15).zip(lengths) {
        let t = MessageType::from_u16(v).unwrap();
        assert_eq!(t as u16, v);
        assert_eq!(t.message_len(), len);
        assert!(t.message_len() <= MAX_MESSAGE_LEN);
    }
}

#[test]
fn message_type_displays_rfc_names() {
    let name = |v| MessageType::from_u16(v).unwrap().to_string();
    assert_eq!(name(1), "Start-Control-Connection-Request");
    assert_eq!(name(2), "Start-Control-Connection-Reply");
    assert_eq!(name(3), "Stop-Control-Connection-Request");
    assert_eq!(name(4), "Stop-Control-Connection-Reply");
    assert_eq!(name(5), "Echo-Request");
    assert_eq!(name(6), "Echo-Reply");
    assert_eq!(name(7), "Outgoing-Call-Request");
    assert_eq!(name(8), "Outgoing-Call-Reply");
    assert_eq!(name(9), "Incoming-Call-Request");
    assert_eq!(name(10), "Incoming-Call-Reply");
    assert_eq!(name(11), "Incoming-Call-Connected");
    assert_eq!(name(12), "Call-Clear-Request");
    assert_eq!(name(13), "Call-Disconnect-Notify");
    assert_eq!(name(14), "WAN-Error-Notify");
    assert_eq!(name(15), "Set-Link-Info");
}

#[test]
fn frame_len_waits_for_the_header_only() {
    let bytes = sccrq_pptp_linux();
    for len in 0..HEADER_LEN {
        assert_eq!(frame_len(&bytes[..len]), Ok(None));
    }
    assert_eq!(frame_len(&bytes[..HEADER_LEN]), Ok(Some(156)));
    // Bytes of the next message do not matter.
    let mut two = bytes.clone();
    two.extend_from_slice(&bytes[..5]);
    assert_eq!(frame_len(&two), Ok(Some(156)));
}

/// The SCCRQ header with bytes `at..` replaced by `with`.
fn patched(at: usize, with: &[u8]) -> Vec<u8> {
    let mut bytes = sccrq_pptp_linux();
    bytes[at..at + with.len()].copy_from_slice(with);
    bytes
}

#[test]
fn frame_len_rejects_headers_that_cannot_become_valid() {
    let frame = |at, with: &[u8]| frame_len(&patched(at, with)[..HEADER_LEN]);
    assert_eq!(
        frame(4, &[0x1a, 0x2b, 0x3c, 0x4e]),
        Err(Error::BadMagic(0x1a2b_3c4e))
    );
    assert_eq!(frame(2, &[0, 2]), Err(Error::NotControlMessage(2)));
    assert_eq!(frame(2, &[0, 0]), Err(Error::NotControlMessage(0)));
    let bad_length = |length| {
        Err(Error::BadLength {
            message_type: 1,
            length,
        })
    };
    assert_eq!(frame(0, &[0, 0]), bad_length(0));
    assert_eq!(frame(0, &[0, 11]), bad_length(11));
    assert_eq!(frame(0, &[0, 221]), bad_length(221));
    assert_eq!(frame(0, &[0xff, 0xff]), bad_length(0xffff));
    // The limits themselves frame, though no type is 12 bytes long.
    assert_eq!(frame(0, &[0, 12]), Ok(Some(12)));
    assert_eq!(frame(0, &[0, 220]), Ok(Some(220)));
    // An unknown type is left for parse to reject, so that it can be skipped.
    assert_eq!(frame(8, &[0, 99]), Ok(Some(156)));
}

#[test]
fn parse_rejects_each_bad_header() {
    let parse = |at, with: &[u8]| ControlMessage::parse(&patched(at, with));
    assert_eq!(
        ControlMessage::parse(&sccrq_pptp_linux()[..11]),
        Err(Error::Truncated { need: 12, have: 11 })
    );
    assert_eq!(parse(4, &[0, 0, 0, 0]), Err(Error::BadMagic(0)));
    assert_eq!(parse(2, &[0, 2]), Err(Error::NotControlMessage(2)));
    assert_eq!(parse(2, &[1, 1]), Err(Error::NotControlMessage(0x0101)));
    assert_eq!(parse(8, &[0, 0]), Err(Error::UnknownMessage(0)));
    assert_eq!(parse(8, &[0, 16]), Err(Error::UnknownMessage(16)));
    // Length field not the fixed length of the type (here that of OCRQ).
    let wrong = Error::BadLength {
        message_type: 1,
        length: 168,
    };
    assert_eq!(parse(0, &[0, 168]), Err(wrong));
    // A valid SCCRP header on SCCRQ's 156 bytes is fine, but not an OCRP header.
    assert!(parse(8, &[0, 2]).is_ok());
    let ocrp = Error::BadLength {
        message_type: 8,
        length: 156,
    };
    assert_eq!(parse(8, &[0, 8]), Err(ocrp));
}

#[test]
fn parse_wants_exactly_one_message() {
    let mut bytes = sccrq_pptp_linux();
    assert_eq!(
        ControlMessage::parse(&bytes[..155]),
        Err(Error::Truncated {
            need: 156,
            have: 155
        })
    );
    bytes.push(0);
    let long = Error::BadLength {
        message_type: 1,
        length: 157,
    };
    assert_eq!(ControlMessage::parse(&bytes), Err(long));
    bytes.resize(70_000, 0);
    let huge = Error::BadLength {
        message_type: 1,
        length: u16::MAX,
    };
    assert_eq!(ControlMessage::parse(&bytes), Err(huge));
}

#[test]
fn reserved_fields_are_ignored() {
    // Reserved0 (Cisco sets it) and the SCCRQ's reserved result/error word.
    let mut bytes = sccrq_pptp_linux();
    bytes[10..12].copy_from_slice(&[0x12, 0x34]);
    bytes[14..16].copy_from_slice(&[0x56, 0x78]);
    let m = ControlMessage::parse(&bytes).unwrap();
    assert_eq!(m, ControlMessage::parse(&sccrq_pptp_linux()).unwrap());
    // The reserved bytes of every other type, and the text length fields, by offset.
    let ignored: [(MessageType, std::ops::Range<usize>); 12] = [
        (MessageType::StopCtrlConnRequest, 13..16),
        (MessageType::StopCtrlConnReply, 14..16),
        (MessageType::EchoReply, 18..20),
        (MessageType::OutgoingCallRequest, 36..38), // phone number length
        (MessageType::OutgoingCallRequest, 38..40),
        (MessageType::IncomingCallRequest, 24..28), // number lengths
        (MessageType::IncomingCallReply, 22..24),
        (MessageType::IncomingCallConnected, 14..16),
        (MessageType::CallClearRequest, 14..16),
        (MessageType::CallDisconnectNotify, 18..20),
        (MessageType::WanErrorNotify, 14..16),
        (MessageType::SetLinkInfo, 14..16),
    ];
    for (message_type, range) in ignored {
        let m = &samples()[message_type as usize - 1];
        let mut bytes = emitted(m);
        bytes[range].fill(0xee);
        assert_eq!(
            ControlMessage::parse(&bytes).as_ref(),
            Ok(m),
            "{message_type}"
        );
    }
}

#[test]
fn sccrq_ignores_result_and_error_on_emit() {
    let mut start = match &samples()[1] {
        ControlMessage::StartCtrlConnReply(s) => s.clone(),
        _ => unreachable!(),
    };
    let bytes = emitted(&ControlMessage::StartCtrlConnRequest(start.clone()));
    assert_eq!(bytes[14..16], [0, 0]);
    (start.result_code, start.error_code) = (0, 0);
    let back = ControlMessage::parse(&bytes).unwrap();
    assert_eq!(back, ControlMessage::StartCtrlConnRequest(start));
}

fn ocrq_with_phone(phone: &str) -> ControlMessage {
    match &samples()[6] {
        ControlMessage::OutgoingCallRequest(o) => {
            ControlMessage::OutgoingCallRequest(OutgoingCallRequest {
                phone_number: phone.into(),
                ..o.clone()
            })
        }
        _ => unreachable!(),
    }
}

fn phone_of(m: &ControlMessage) -> String {
    match m {
        ControlMessage::OutgoingCallRequest(o) => o.phone_number.clone(),
        _ => unreachable!(),
    }
}

#[test]
fn long_text_is_cut_at_a_character_boundary() {
    let long = "9".repeat(70);
    let bytes = emitted(&ocrq_with_phone(&long));
    assert_eq!(bytes.len(), 168);
    assert_eq!(bytes[36..38], [0, 64]); // phone number length
    let back = ControlMessage::parse(&bytes).unwrap();
    assert_eq!(phone_of(&back), long[..64]);
    // A two-byte character straddling byte 64 is dropped whole.
    let straddling = format!("{}é", "9".repeat(63));
    let bytes = emitted(&ocrq_with_phone(&straddling));
    assert_eq!(bytes[36..38], [0, 63]);
    let back = ControlMessage::parse(&bytes).unwrap();
    assert_eq!(phone_of(&back), "9".repeat(63));
}

#[test]
fn text_stops_at_nul_and_is_lossy() {
    let mut bytes = emitted(&ocrq_with_phone("12345"));
    bytes[42] = 0; // phone "12\03\04\05"
    assert_eq!(phone_of(&ControlMessage::parse(&bytes).unwrap()), "12");
    bytes[42] = 0xff;
    let phone = phone_of(&ControlMessage::parse(&bytes).unwrap());
    assert_eq!(phone, "12\u{fffd}45");
    // A field with no NUL at all is taken whole.
    bytes[40..104].fill(b'7');
    let phone = phone_of(&ControlMessage::parse(&bytes).unwrap());
    assert_eq!(phone, "7".repeat(64));
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for m in samples() {
        let bytes = emitted(&m);
        for len in 0..bytes.len() {
            let prefix = &bytes[..len];
            assert!(matches!(
                ControlMessage::parse(prefix),
                Err(Error::Truncated { .. })
            ));
            let framed = if len < HEADER_LEN {
                None
            } else {
                Some(bytes.len())
            };
            assert_eq!(frame_len(prefix), Ok(framed));
        }
    }
}

#[test]
fn every_single_byte_corruption_is_handled() {
    for m in samples() {
        let bytes = emitted(&m);
        for at in 0..bytes.len() {
            for value in 0..=255u8 {
                let mut p = bytes.clone();
                p[at] = value;
                let _ = frame_len(&p);
                // Whatever parses must survive a second trip unchanged.
                if let Ok(m) = ControlMessage::parse(&p) {
                    assert_eq!(ControlMessage::parse(&emitted(&m)), Ok(m));
                }
            }
        }
    }
}

#[test]
fn error_display() {
    assert_eq!(
        Error::BadMagic(0x1a2b_3c4e).to_string(),
        "bad magic cookie=0x1a2b3c4e"
    );
    assert_eq!(
        Error::NotControlMessage(2).to_string(),
        "not a control message: pptp message type=2"
    );
    assert_eq!(
        Error::UnknownMessage(16).to_string(),
        "unknown control message type=16"
    );
    let bad = Error::BadLength {
        message_type: 7,
        length: 32,
    };
    assert_eq!(bad.to_string(), "bad length=32 for control message type=7");
}

#[test]
fn take_messages_takes_whole_ones_skips_bad_ones_and_keeps_the_rest() {
    let mut stream = Vec::new();
    ControlMessage::EchoRequest { identifier: 1 }.emit(&mut stream);
    // A message with a good header but an unknown type: skipped by its Length.
    let mut unknown = Vec::new();
    ControlMessage::EchoRequest { identifier: 2 }.emit(&mut unknown);
    unknown[8..10].copy_from_slice(&99u16.to_be_bytes());
    stream.extend_from_slice(&unknown);
    ControlMessage::EchoRequest { identifier: 3 }.emit(&mut stream);
    let whole = stream.len();
    ControlMessage::EchoRequest { identifier: 4 }.emit(&mut stream);
    stream.truncate(whole + 5); // the last one is still arriving

    let mut seen = Vec::new();
    assert_eq!(take_messages(&mut stream, |m| seen.push(m)), Ok(()));
    assert_eq!(
        seen,
        [
            Ok(ControlMessage::EchoRequest { identifier: 1 }),
            Err(Error::UnknownMessage(99)),
            Ok(ControlMessage::EchoRequest { identifier: 3 }),
        ]
    );
    assert_eq!(stream.len(), 5, "the partial message waits for its rest");

    let mut garbage = b"GET / HTTP/1.1\r\n".to_vec();
    assert!(matches!(
        take_messages(&mut garbage, |_| panic!("nothing to take")),
        Err(Error::BadMagic(_))
    ));
}
