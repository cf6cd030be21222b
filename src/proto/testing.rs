//! What the tests of both control machines share: draining a machine's outputs, and the
//! Start-Control-Connection messages each side sends.

use crate::wire::ctrl::{PROTOCOL_VERSION, StartCtrlConn};

/// `sent(&mut machine)` and `events(&mut machine)`: everything the machine has queued.
macro_rules! drain_fns {
    ($machine:ty, $event:ty) => {
        fn sent(c: &mut $machine) -> Vec<ControlMessage> {
            std::iter::from_fn(|| c.poll_transmit()).collect()
        }

        fn events(c: &mut $machine) -> Vec<$event> {
            std::iter::from_fn(|| c.poll_event()).collect()
        }
    };
}
pub(crate) use drain_fns;

/// A start request or reply with `version` and `result`, as the other side sends it.
pub(crate) fn start_conn(version: u16, result: u8, vendor: &str) -> StartCtrlConn {
    StartCtrlConn {
        protocol_version: version,
        result_code: result,
        error_code: 0,
        framing_capabilities: if result == 0 { 3 } else { 0 },
        bearer_capabilities: if result == 0 { 3 } else { 0 },
        maximum_channels: u16::from(result != 0),
        firmware_revision: 1,
        host_name: "local".into(),
        vendor: vendor.into(),
    }
}

/// The protocol version both sides speak.
pub(crate) const VERSION: u16 = PROTOCOL_VERSION;
