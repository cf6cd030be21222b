//! Field-by-field parsing and emitting of each control message body (RFC 2637 §2.1-2.16).
//! The header and the dispatch on the message type are in the parent module.

use super::*;

impl StartCtrlConn {
    pub(super) fn parse(r: &mut Reader<'_>, is_reply: bool) -> Self {
        let protocol_version = r.u16();
        let (code, error) = (r.u8(), r.u8());
        // Reserved in a request: whatever the peer put there is ignored.
        let (result_code, error_code) = if is_reply { (code, error) } else { (0, 0) };
        StartCtrlConn {
            protocol_version,
            result_code,
            error_code,
            framing_capabilities: r.u32(),
            bearer_capabilities: r.u32(),
            maximum_channels: r.u16(),
            firmware_revision: r.u16(),
            host_name: r.string(NAME_LEN),
            vendor: r.string(NAME_LEN),
        }
    }

    pub(super) fn emit(&self, out: &mut Vec<u8>, is_reply: bool) {
        out.put_u16(self.protocol_version);
        if is_reply {
            out.extend_from_slice(&[self.result_code, self.error_code]);
        } else {
            out.put_u16(0);
        }
        out.put_u32(self.framing_capabilities);
        out.put_u32(self.bearer_capabilities);
        out.put_u16(self.maximum_channels);
        out.put_u16(self.firmware_revision);
        out.put_str(&self.host_name, NAME_LEN);
        out.put_str(&self.vendor, NAME_LEN);
    }
}

impl OutgoingCallRequest {
    pub(super) fn parse(r: &mut Reader<'_>) -> Self {
        let (call_id, call_serial) = (r.u16(), r.u16());
        let (minimum_bps, maximum_bps) = (r.u32(), r.u32());
        let (bearer_type, framing_type) = (r.u32(), r.u32());
        let (recv_window, processing_delay) = (r.u16(), r.u16());
        r.skip(4); // phone number length, reserved
        OutgoingCallRequest {
            call_id,
            call_serial,
            minimum_bps,
            maximum_bps,
            bearer_type,
            framing_type,
            recv_window,
            processing_delay,
            phone_number: r.string(NAME_LEN),
            subaddress: r.string(NAME_LEN),
        }
    }

    pub(super) fn emit(&self, out: &mut Vec<u8>) {
        out.put_u16(self.call_id);
        out.put_u16(self.call_serial);
        out.put_u32(self.minimum_bps);
        out.put_u32(self.maximum_bps);
        out.put_u32(self.bearer_type);
        out.put_u32(self.framing_type);
        out.put_u16(self.recv_window);
        out.put_u16(self.processing_delay);
        let phone = truncated(&self.phone_number, NAME_LEN);
        out.put_u16(phone.len() as u16); // at most NAME_LEN
        out.put_u16(0);
        out.put_str(phone, NAME_LEN);
        out.put_str(&self.subaddress, NAME_LEN);
    }
}

impl OutgoingCallReply {
    pub(super) fn parse(r: &mut Reader<'_>) -> Self {
        OutgoingCallReply {
            call_id: r.u16(),
            peer_call_id: r.u16(),
            result_code: r.u8(),
            error_code: r.u8(),
            cause_code: r.u16(),
            connect_speed: r.u32(),
            recv_window: r.u16(),
            processing_delay: r.u16(),
            physical_channel_id: r.u32(),
        }
    }

    pub(super) fn emit(&self, out: &mut Vec<u8>) {
        out.put_u16(self.call_id);
        out.put_u16(self.peer_call_id);
        out.extend_from_slice(&[self.result_code, self.error_code]);
        out.put_u16(self.cause_code);
        out.put_u32(self.connect_speed);
        out.put_u16(self.recv_window);
        out.put_u16(self.processing_delay);
        out.put_u32(self.physical_channel_id);
    }
}

impl IncomingCallRequest {
    pub(super) fn parse(r: &mut Reader<'_>) -> Self {
        let (call_id, call_serial) = (r.u16(), r.u16());
        let (bearer_type, physical_channel_id) = (r.u32(), r.u32());
        r.skip(4); // dialed and dialing number lengths
        IncomingCallRequest {
            call_id,
            call_serial,
            bearer_type,
            physical_channel_id,
            dialed_number: r.string(NAME_LEN),
            dialing_number: r.string(NAME_LEN),
            subaddress: r.string(NAME_LEN),
        }
    }

    pub(super) fn emit(&self, out: &mut Vec<u8>) {
        out.put_u16(self.call_id);
        out.put_u16(self.call_serial);
        out.put_u32(self.bearer_type);
        out.put_u32(self.physical_channel_id);
        let dialed = truncated(&self.dialed_number, NAME_LEN);
        let dialing = truncated(&self.dialing_number, NAME_LEN);
        out.put_u16(dialed.len() as u16); // at most NAME_LEN
        out.put_u16(dialing.len() as u16);
        out.put_str(dialed, NAME_LEN);
        out.put_str(dialing, NAME_LEN);
        out.put_str(&self.subaddress, NAME_LEN);
    }
}

impl IncomingCallReply {
    pub(super) fn parse(r: &mut Reader<'_>) -> Self {
        IncomingCallReply {
            call_id: r.u16(),
            peer_call_id: r.u16(),
            result_code: r.u8(),
            error_code: r.u8(),
            recv_window: r.u16(),
            transmit_delay: r.u16(),
        }
    }

    pub(super) fn emit(&self, out: &mut Vec<u8>) {
        out.put_u16(self.call_id);
        out.put_u16(self.peer_call_id);
        out.extend_from_slice(&[self.result_code, self.error_code]);
        out.put_u16(self.recv_window);
        out.put_u16(self.transmit_delay);
        out.put_u16(0);
    }
}

impl IncomingCallConnected {
    pub(super) fn parse(r: &mut Reader<'_>) -> Self {
        let peer_call_id = r.call_id();
        IncomingCallConnected {
            peer_call_id,
            connect_speed: r.u32(),
            recv_window: r.u16(),
            transmit_delay: r.u16(),
            framing_type: r.u32(),
        }
    }

    pub(super) fn emit(&self, out: &mut Vec<u8>) {
        out.put_call_id(self.peer_call_id);
        out.put_u32(self.connect_speed);
        out.put_u16(self.recv_window);
        out.put_u16(self.transmit_delay);
        out.put_u32(self.framing_type);
    }
}

impl CallDisconnectNotify {
    pub(super) fn parse(r: &mut Reader<'_>) -> Self {
        let (call_id, result_code, error_code, cause_code) = (r.u16(), r.u8(), r.u8(), r.u16());
        r.skip(2);
        CallDisconnectNotify {
            call_id,
            result_code,
            error_code,
            cause_code,
            call_statistics: r.string(STATS_LEN),
        }
    }

    pub(super) fn emit(&self, out: &mut Vec<u8>) {
        out.put_u16(self.call_id);
        out.extend_from_slice(&[self.result_code, self.error_code]);
        out.put_u16(self.cause_code);
        out.put_u16(0);
        out.put_str(&self.call_statistics, STATS_LEN);
    }
}

impl WanErrorNotify {
    pub(super) fn parse(r: &mut Reader<'_>) -> Self {
        let peer_call_id = r.call_id();
        WanErrorNotify {
            peer_call_id,
            crc_errors: r.u32(),
            framing_errors: r.u32(),
            hardware_overruns: r.u32(),
            buffer_overruns: r.u32(),
            timeout_errors: r.u32(),
            alignment_errors: r.u32(),
        }
    }

    pub(super) fn emit(&self, out: &mut Vec<u8>) {
        out.put_call_id(self.peer_call_id);
        for counter in [
            self.crc_errors,
            self.framing_errors,
            self.hardware_overruns,
            self.buffer_overruns,
            self.timeout_errors,
            self.alignment_errors,
        ] {
            out.put_u32(counter);
        }
    }
}

impl SetLinkInfo {
    pub(super) fn parse(r: &mut Reader<'_>) -> Self {
        let peer_call_id = r.call_id();
        SetLinkInfo {
            peer_call_id,
            send_accm: r.u32(),
            recv_accm: r.u32(),
        }
    }

    pub(super) fn emit(&self, out: &mut Vec<u8>) {
        out.put_call_id(self.peer_call_id);
        out.put_u32(self.send_accm);
        out.put_u32(self.recv_accm);
    }
}

/// A big-endian cursor over a message body. Total: reading past the end yields zeros, so
/// a layout bug could garble a value but never panic (the tests check every layout).
pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl<'a> Reader<'a> {
    pub(super) fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        self.0 = tail;
        head
    }

    pub(super) fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let bytes = self.bytes(N);
        out[..bytes.len()].copy_from_slice(bytes);
        out
    }

    pub(super) fn skip(&mut self, n: usize) {
        self.bytes(n);
    }

    pub(super) fn u8(&mut self) -> u8 {
        self.array::<1>()[0]
    }

    pub(super) fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.array())
    }

    pub(super) fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.array())
    }

    /// A call ID followed by a reserved u16.
    pub(super) fn call_id(&mut self) -> u16 {
        let id = self.u16();
        self.skip(2);
        id
    }

    /// A NUL-padded text field of `n` bytes.
    pub(super) fn string(&mut self, n: usize) -> String {
        let field = self.bytes(n);
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        String::from_utf8_lossy(&field[..end]).into_owned()
    }
}

/// Big-endian writers for message bodies.
pub(super) trait Put {
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    /// A Result/Reason Code and an Error Code, then a reserved u16.
    fn put_result(&mut self, code: u8, error: u8);
    /// A call ID followed by a reserved u16.
    fn put_call_id(&mut self, id: u16);
    /// `s` cut to `n` bytes at a character boundary, zero-filled to `n` bytes.
    fn put_str(&mut self, s: &str, n: usize);
}

impl Put for Vec<u8> {
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }

    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }

    fn put_result(&mut self, code: u8, error: u8) {
        self.extend_from_slice(&[code, error, 0, 0]);
    }

    fn put_call_id(&mut self, id: u16) {
        self.put_u16(id);
        self.put_u16(0);
    }

    fn put_str(&mut self, s: &str, n: usize) {
        let bytes = truncated(s, n).as_bytes();
        self.extend_from_slice(bytes);
        self.resize(self.len() + (n - bytes.len()), 0);
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncated(s: &str, max: usize) -> &str {
    let end = (0..=max.min(s.len()))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    &s[..end]
}
