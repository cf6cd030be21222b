//! AF_PACKET sockets for bcrelay: the IPv4 datagrams that arrive on one interface, and
//! datagrams sent out of one interface as link-layer broadcasts. SOCK_DGRAM (packet(7)):
//! the kernel strips and adds the link header, so Ethernet and ppp look the same to us.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// `htons(ETH_P_IP)`: only IPv4 frames, in and out. poptop's bcrelay had to set it on send
/// too: without it "sendto will succeed but no packet is actually sent" on ppp.
const ETH_P_IP_BE: u16 = (libc::ETH_P_IP as u16).to_be();

/// A packet socket bound to one interface.
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
}

/// One datagram read from a [`PacketSocket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Its length in the buffer.
    pub len: usize,
    /// This host sent it (PACKET_OUTGOING): a packet socket sees both directions.
    pub outgoing: bool,
}

fn link_address(ifindex: u32) -> libc::sockaddr_ll {
    libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: ETH_P_IP_BE,
        sll_ifindex: ifindex as i32,
        sll_hatype: 0,
        sll_pkttype: 0,
        // The all-ones hardware address: a true link-layer broadcast (ignored on ppp).
        sll_halen: 6,
        sll_addr: [0xff; 8],
    }
}

const SLL_LEN: libc::socklen_t = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;

impl PacketSocket {
    /// Opens a non-blocking packet socket receiving the IPv4 datagrams of interface
    /// `ifindex`; needs CAP_NET_RAW.
    pub fn open(ifindex: u32) -> io::Result<Self> {
        // SAFETY: socket(2) with constant arguments; the result is checked and then owned
        // by exactly one OwnedFd.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                i32::from(ETH_P_IP_BE),
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let addr = link_address(ifindex);
        // SAFETY: `addr` is a valid sockaddr_ll that outlives the call; the length is its size.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ll).cast(),
                SLL_LEN,
            )
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(PacketSocket { fd })
    }

    /// Reads one datagram (the IPv4 header first) into `buf`.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        // SAFETY: an all-zero sockaddr_ll is a valid value of the type.
        let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut from_len = SLL_LEN;
        // SAFETY: `buf` is writable for its length; `from` and `from_len` are valid for
        // writes and describe a buffer of their size.
        let n = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                0,
                (&mut from as *mut libc::sockaddr_ll).cast(),
                &mut from_len,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Received {
            len: n as usize,
            outgoing: from.sll_pkttype == libc::PACKET_OUTGOING,
        })
    }

    /// Sends `packet` (an IPv4 datagram) out of interface `ifindex` as a link-layer
    /// broadcast.
    pub fn send_broadcast(&self, ifindex: u32, packet: &[u8]) -> io::Result<usize> {
        let to = link_address(ifindex);
        // SAFETY: `packet` is readable for its length; `to` is a valid sockaddr_ll.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                packet.as_ptr().cast(),
                packet.len(),
                libc::MSG_DONTWAIT,
                (&to as *const libc::sockaddr_ll).cast(),
                SLL_LEN,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(n as usize)
    }
}

impl AsRawFd for PacketSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
