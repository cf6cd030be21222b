use super::*;

const LOCAL: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 1723);
const SEEN: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(198, 51, 100, 7), 40000);

/// The lookup, written out from the kernel's layouts by hand (nlmsghdr, nfgenmsg, then
/// nested attributes padded to 4 bytes), on a little-endian host.
#[cfg(target_endian = "little")]
#[test]
fn lookup_request_bytes() {
    let expected: &[u8] = &[
        0x48, 0, 0, 0, 0x01, 0x01, 0x01, 0x00, 7, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr
        2, 0, 0, 0, // nfgenmsg: AF_INET, v0, res_id 0
        0x34, 0, 0x02, 0x80, // CTA_TUPLE_REPLY, nested
        0x14, 0, 0x01, 0x80, // CTA_TUPLE_IP, nested
        8, 0, 1, 0, 192, 0, 2, 1, // CTA_IP_V4_SRC
        8, 0, 2, 0, 198, 51, 100, 7, // CTA_IP_V4_DST
        0x1c, 0, 0x02, 0x80, // CTA_TUPLE_PROTO, nested
        5, 0, 1, 0, 6, 0, 0, 0, // CTA_PROTO_NUM tcp, padded
        6, 0, 2, 0, 0x06, 0xbb, 0, 0, // CTA_PROTO_SRC_PORT 1723
        6, 0, 3, 0, 0x9c, 0x40, 0, 0, // CTA_PROTO_DST_PORT 40000
    ];
    assert_eq!(conntrack_get_by_reply(LOCAL, SEEN, 7), expected);
}

/// A connection as the kernel reports it: the original tuple from the client before NAT,
/// the reply tuple to the address we see, then attributes we skip.
fn answer(seq: u32, original: SocketAddrV4) -> Vec<u8> {
    let mut m = Request::new(NFNL_SUBSYS_CTNETLINK << 8, 0, seq);
    m.raw(&[AF_INET, 0, 0, 0]);
    let tuple = |r: &mut Request, src: SocketAddrV4, dst: SocketAddrV4| {
        r.nest(CTA_TUPLE_IP, |r| {
            r.attr(CTA_IP_V4_SRC, &src.ip().octets());
            r.attr(CTA_IP_V4_DST, &dst.ip().octets());
        });
        r.nest(CTA_TUPLE_PROTO, |r| {
            r.attr(CTA_PROTO_NUM, &[PROTO_TCP]);
            r.attr(CTA_PROTO_SRC_PORT, &src.port().to_be_bytes());
            r.attr(CTA_PROTO_DST_PORT, &dst.port().to_be_bytes());
        });
    };
    m.nest(CTA_TUPLE_ORIG, |r| tuple(r, original, LOCAL));
    m.nest(CTA_TUPLE_REPLY, |r| tuple(r, LOCAL, SEEN));
    m.attr(3, &0x18eu32.to_be_bytes()); // CTA_STATUS
    m.attr(7, &431999u32.to_be_bytes()); // CTA_TIMEOUT
    m.finish()
}

#[test]
fn reads_the_original_source() {
    let original = SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 5), 5555);
    assert_eq!(
        conntrack_answer(&answer(9, original), 9),
        Ok(Some(ConntrackAnswer::Original(original)))
    );
    // An answer to another request is not ours.
    assert_eq!(conntrack_answer(&answer(8, original), 9), Ok(None));
}

#[test]
fn reads_a_refusal() {
    // NLMSG_ERROR: -ENOENT, then the request's header.
    let mut m = Request::new(NLMSG_ERROR, 0, 4);
    m.raw(&(-2i32).to_ne_bytes());
    m.raw(&conntrack_get_by_reply(LOCAL, SEEN, 4)[..HEADER_LEN]);
    assert_eq!(
        conntrack_answer(&m.finish(), 4),
        Ok(Some(ConntrackAnswer::Refused(2)))
    );
}

#[test]
fn an_answer_without_the_original_tuple_says_so() {
    let mut m = Request::new(NFNL_SUBSYS_CTNETLINK << 8, 0, 1);
    m.raw(&[AF_INET, 0, 0, 0]);
    m.attr(3, &[0, 0, 0, 0]);
    assert!(matches!(
        conntrack_answer(&m.finish(), 1),
        Err(Error::Missing(_))
    ));
}

#[test]
fn lying_lengths_end_the_walk() {
    let good = answer(1, SEEN);
    // Every truncation, and every length field set to every small value, yields an answer
    // or an error, never a panic or a read past the buffer.
    for cut in 0..good.len() {
        let _ = conntrack_answer(&good[..cut], 1);
    }
    for at in 0..good.len() - 1 {
        for value in [0u8, 1, 3, 4, 5, 0x7f, 0xff] {
            let mut bad = good.clone();
            bad[at] = value;
            let _ = conntrack_answer(&bad, 1);
        }
    }
    // A header that claims less than itself.
    let mut short = good.clone();
    short[..4].copy_from_slice(&8u32.to_ne_bytes());
    assert!(matches!(
        messages(&short).next(),
        Some(Err(Error::Truncated { .. }))
    ));
    // An attribute of length 0 ends the attributes instead of looping.
    assert_eq!(attrs(&[0, 0, 1, 0, 8, 0, 1, 0]).count(), 0);
}

#[test]
fn two_messages_in_one_datagram() {
    let original = SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 9), 1);
    let mut datagram = answer(1, SEEN);
    datagram.extend(answer(2, original));
    assert_eq!(messages(&datagram).count(), 2);
    assert_eq!(
        conntrack_answer(&datagram, 2),
        Ok(Some(ConntrackAnswer::Original(original)))
    );
}

#[test]
fn an_error_code_no_kernel_sends_is_reported_not_a_panic() {
    // Found by fuzzing (tests/fuzz, target netlink): NLMSG_ERROR carries -errno, and
    // negating i32::MIN overflowed. Any code comes back as a refusal, never a panic.
    for code in [i32::MIN, i32::MIN + 1, -1, 1, i32::MAX] {
        let mut m = Request::new(NLMSG_ERROR, 0, 4);
        m.raw(&code.to_ne_bytes());
        let answer = m.finish();
        let message = messages(&answer).next().unwrap().unwrap();
        assert_eq!(message.error(), Some(code.wrapping_neg()));
        assert_eq!(
            conntrack_answer(&answer, 4),
            Ok(Some(ConntrackAnswer::Refused(code.wrapping_neg())))
        );
    }
}
