//! The raw IPv4 socket for GRE (IP protocol 47).
//!
//! nix has no GRE protocol value, so the socket is made with libc directly. The client binds
//! it to `--localbind` when given and connects it to the server before the call starts, as
//! pptp-linux does, so that the kernel filters by source address and never answers the
//! server's GRE with ICMP protocol-unreachable (pptp-linux ChangeLog 2002-07-18). The server
//! has one socket for every call and names the peer, and the source address, per packet.
//! Received datagrams include the IPv4 header; sent ones do not (the kernel adds it).
//!
//! Datagrams go in batches: [`GreSocket::recv_batch`] takes up to a batch of datagrams in
//! one `recvmmsg`, and [`GreSocket::send_packets`] sends the frames of one read of pppd's
//! stream in one `sendmmsg`, each datagram gathered from its header and its payload where
//! they lie (no copy into a send buffer, no buffer cleared per packet).

use std::io;
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::sys::socket::{MsgFlags, SockaddrIn, bind, connect, recv, setsockopt, sockopt};

/// The most datagrams one `sendmmsg` or `recvmmsg` handles; larger batches are split.
pub const BATCH: usize = 32;

/// One GRE datagram to send: its header and its payload, gathered by the kernel.
#[derive(Debug, Clone, Copy)]
pub struct OutPacket<'a> {
    /// The GRE header, as emitted.
    pub header: &'a [u8],
    /// The PPP frame (empty for an acknowledgment).
    pub payload: &'a [u8],
}

/// Where a batch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// The peer the socket is connected to (the client).
    Connected,
    /// `peer`, from the local address `source` when given (the server, whose GRE must leave
    /// from the address the client connected to: on a multi-homed host routing may pick
    /// another, which the client and NAT routers drop; poptop bound a socket per client).
    To {
        /// The client's address.
        peer: Ipv4Addr,
        /// Our address the client's control connection came to.
        source: Option<Ipv4Addr>,
    },
}

/// An error the kernel reported for a datagram we sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpReport {
    /// Where the datagram was going.
    pub peer: Option<Ipv4Addr>,
    /// The ICMP type and code, when an ICMP message reported it.
    pub icmp: Option<(u8, u8)>,
    /// The errno the kernel made of it.
    pub errno: i32,
    /// For fragmentation needed: the MTU of the next hop.
    pub info: u32,
}

/// Room for a batch of received datagrams, allocated once and reused.
pub struct RecvBatch {
    buf: Vec<u8>,
    slot_len: usize,
    lens: Vec<usize>,
    filled: usize,
    iovs: Vec<libc::iovec>,
    hdrs: Vec<libc::mmsghdr>,
}

impl RecvBatch {
    /// Room for `slots` datagrams of up to `slot_len` bytes each.
    pub fn new(slots: usize, slot_len: usize) -> Self {
        let slots = slots.clamp(1, BATCH);
        let mut buf = vec![0u8; slots * slot_len];
        let base = buf.as_mut_ptr();
        // The pointers below point into `buf`'s heap block, which never moves: it is
        // never resized, and moving the Vec does not move the block.
        let iovs: Vec<libc::iovec> = (0..slots)
            .map(|i| libc::iovec {
                iov_base: base.wrapping_add(i * slot_len).cast(),
                iov_len: slot_len,
            })
            .collect();
        let mut batch = RecvBatch {
            buf,
            slot_len,
            lens: vec![0; slots],
            filled: 0,
            iovs,
            hdrs: Vec::with_capacity(slots),
        };
        for i in 0..slots {
            // SAFETY: mmsghdr is plain data; all-zero is a valid value (no name, no
            // control), and the iovec pointer is set right after.
            let mut hdr: libc::mmsghdr = unsafe { std::mem::zeroed() };
            hdr.msg_hdr.msg_iov = batch.iovs.as_mut_ptr().wrapping_add(i);
            hdr.msg_hdr.msg_iovlen = 1;
            batch.hdrs.push(hdr);
        }
        batch
    }

    /// How many datagrams the last receive filled in.
    pub fn len(&self) -> usize {
        self.filled
    }

    /// True when the last receive filled in none.
    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// Datagram `i` of the last receive, IPv4 header included.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = i * self.slot_len;
        &self.buf[start..start + self.lens[i].min(self.slot_len)]
    }
}

/// A raw GRE socket.
#[derive(Debug)]
pub struct GreSocket {
    fd: OwnedFd,
}

impl GreSocket {
    /// Opens a non-blocking raw GRE socket; needs CAP_NET_RAW.
    pub fn open(local: Option<Ipv4Addr>, mark: Option<u32>) -> io::Result<Self> {
        // SAFETY: socket(2) with constant arguments; the result is checked before use and
        // owned by exactly one OwnedFd.
        let raw = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                libc::IPPROTO_GRE,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        if let Some(mark) = mark {
            setsockopt(&fd, sockopt::Mark, &mark)?;
        }
        // ICMP errors for what we sent are queued with their details (type, code, the MTU
        // of a fragmentation-needed), where otherwise they only fail the next call.
        setsockopt(&fd, sockopt::Ipv4RecvErr, &true)?;
        if let Some(local) = local {
            bind(
                fd.as_raw_fd(),
                &SockaddrIn::from(SocketAddrV4::new(local, 0)),
            )?;
        }
        Ok(GreSocket { fd })
    }

    /// Puts the socket in the VRF named `device` (pptpd's `vrf`): GRE is then received
    /// from and routed through that VRF's interfaces, as the control connection is.
    pub fn bind_to_device(&self, device: &str) -> io::Result<()> {
        super::tcp::bind_to_device(&self.fd, device)
    }

    /// Restricts the socket to datagrams from `peer` (and sends go there).
    pub fn connect(&self, peer: Ipv4Addr) -> io::Result<()> {
        connect(
            self.fd.as_raw_fd(),
            &SockaddrIn::from(SocketAddrV4::new(peer, 0)),
        )?;
        Ok(())
    }

    /// Takes one ICMP report from the socket's error queue (IP_RECVERR), if any.
    pub fn recv_error(&self) -> Option<IcmpReport> {
        let mut buf = [0u8; 64];
        let mut iov = [std::io::IoSliceMut::new(&mut buf)];
        let mut cmsg = nix::cmsg_space!(libc::sock_extended_err, libc::sockaddr_in);
        let msg = nix::sys::socket::recvmsg::<SockaddrIn>(
            self.fd.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT,
        )
        .ok()?;
        let peer = msg.address.map(|a| a.ip());
        for c in msg.cmsgs().ok()? {
            if let nix::sys::socket::ControlMessageOwned::Ipv4RecvErr(err, _) = c {
                return Some(IcmpReport {
                    peer,
                    icmp: (err.ee_origin == libc::SO_EE_ORIGIN_ICMP)
                        .then_some((err.ee_type, err.ee_code)),
                    errno: err.ee_errno as i32,
                    info: err.ee_info,
                });
            }
        }
        // An error without its details: report it anyway, so the queue always drains.
        Some(IcmpReport {
            peer,
            icmp: None,
            errno: 0,
            info: 0,
        })
    }

    /// Receives one datagram, IPv4 header included.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(recv(self.fd.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT)?)
    }

    /// Receives as many datagrams as are waiting, up to the batch's room, in one call;
    /// WouldBlock when none is.
    pub fn recv_batch(&self, batch: &mut RecvBatch) -> io::Result<usize> {
        batch.filled = 0;
        let slots = batch.hdrs.len();
        // SAFETY: every header points at its own iovec, and every iovec at its own slot of
        // `batch.buf`, all alive and exclusively borrowed for the call; the kernel writes at
        // most iov_len bytes per slot and fills in msg_len.
        let n = unsafe {
            libc::recvmmsg(
                self.fd.as_raw_fd(),
                batch.hdrs.as_mut_ptr(),
                slots as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = n as usize;
        for i in 0..n {
            batch.lens[i] = batch.hdrs[i].msg_len as usize;
        }
        batch.filled = n;
        Ok(n)
    }

    /// Sends one GRE packet to the connected peer.
    pub fn send(&self, packet: &[u8]) -> io::Result<usize> {
        let mut sent = Ok(());
        self.send_packets(
            &[OutPacket {
                header: packet,
                payload: &[],
            }],
            Destination::Connected,
            |_, e| sent = Err(e),
        );
        sent.map(|()| packet.len())
    }

    /// Sends `packets` to `to`, as few system calls as the kernel allows. A packet that
    /// cannot be sent is lost, never the others: `on_error` hears its index and why.
    pub fn send_packets(
        &self,
        packets: &[OutPacket<'_>],
        to: Destination,
        mut on_error: impl FnMut(usize, io::Error),
    ) {
        let mut done = 0;
        while done < packets.len() {
            let chunk = &packets[done..packets.len().min(done + BATCH)];
            match self.sendmmsg(chunk, to) {
                // Some went; the next call starts at the first that did not.
                Ok(n) if n > 0 => done += n,
                Ok(_) => {
                    on_error(done, io::Error::from(io::ErrorKind::WouldBlock));
                    done += 1;
                }
                // The first of the chunk failed: it is lost, the rest is tried again.
                Err(e) => {
                    on_error(done, e);
                    done += 1;
                }
            }
        }
    }

    /// One `sendmmsg` of at most [`BATCH`] packets. The headers are built on the stack
    /// for each call, only as many as there are packets (a few dozen bytes each), and
    /// nothing is shared between threads.
    fn sendmmsg(&self, packets: &[OutPacket<'_>], to: Destination) -> io::Result<usize> {
        let count = packets.len().min(BATCH);
        let mut iovs = [const { MaybeUninit::<libc::iovec>::uninit() }; 2 * BATCH];
        for (i, p) in packets[..count].iter().enumerate() {
            for (j, part) in [p.header, p.payload].into_iter().enumerate() {
                iovs[2 * i + j].write(libc::iovec {
                    iov_base: part.as_ptr() as *mut libc::c_void,
                    iov_len: part.len(),
                });
            }
        }
        let mut addr = sockaddr_in(match to {
            Destination::To { peer, .. } => peer,
            Destination::Connected => Ipv4Addr::UNSPECIFIED,
        });
        let mut cmsg = [0u64; 8];
        let (name, control, control_len) = match to {
            Destination::Connected => (std::ptr::null_mut(), std::ptr::null_mut(), 0),
            Destination::To { source, .. } => {
                let name: *mut libc::sockaddr_in = &mut addr;
                match source {
                    Some(src) => {
                        let len = write_pktinfo(&mut cmsg, src);
                        (name.cast(), cmsg.as_mut_ptr().cast(), len)
                    }
                    None => (name.cast(), std::ptr::null_mut(), 0),
                }
            }
        };
        let mut hdrs = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; BATCH];
        for (i, slot) in hdrs[..count].iter_mut().enumerate() {
            // SAFETY: mmsghdr is plain data; all-zero is a valid value, and the fields
            // used are set below.
            let hdr = slot.write(unsafe { std::mem::zeroed() });
            hdr.msg_hdr.msg_iov = iovs.as_mut_ptr().wrapping_add(2 * i).cast();
            hdr.msg_hdr.msg_iovlen = 2;
            hdr.msg_hdr.msg_name = name;
            hdr.msg_hdr.msg_namelen = if name.is_null() {
                0
            } else {
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t
            };
            hdr.msg_hdr.msg_control = control;
            hdr.msg_hdr.msg_controllen = control_len;
        }
        // SAFETY: the first `count` headers and the iovecs they point to were written
        // above; they point into `iovs`, `addr` and `cmsg`, alive on this stack frame until
        // the call returns, and at the caller's slices, which outlive the call. The kernel
        // reads `count` headers and writes only their msg_len.
        let n = unsafe {
            libc::sendmmsg(
                self.fd.as_raw_fd(),
                hdrs.as_mut_ptr().cast(),
                count as libc::c_uint,
                libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    /// Sends one GRE packet to `peer` (the server's one socket serves every client).
    pub fn send_to(&self, packet: &[u8], peer: Ipv4Addr) -> io::Result<usize> {
        let mut sent = Ok(());
        self.send_packets(
            &[OutPacket {
                header: packet,
                payload: &[],
            }],
            Destination::To { peer, source: None },
            |_, e| sent = Err(e),
        );
        sent.map(|()| packet.len())
    }
}

fn sockaddr_in(ip: Ipv4Addr) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    }
}

/// Writes an IP_PKTINFO control message asking for source address `src` into `buf`
/// (aligned as cmsghdr needs); returns its length.
fn write_pktinfo(buf: &mut [u64; 8], src: Ipv4Addr) -> usize {
    let info = libc::in_pktinfo {
        ipi_ifindex: 0,
        ipi_spec_dst: libc::in_addr {
            s_addr: u32::from(src).to_be(),
        },
        ipi_addr: libc::in_addr { s_addr: 0 },
    };
    // SAFETY: CMSG_SPACE/CMSG_LEN are pure arithmetic. The buffer (64 bytes, 8-aligned) is
    // larger than CMSG_SPACE(in_pktinfo) (32 bytes), so the header and the data written
    // through CMSG_DATA stay inside it.
    unsafe {
        let space = libc::CMSG_SPACE(std::mem::size_of::<libc::in_pktinfo>() as u32) as usize;
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_control = buf.as_mut_ptr().cast();
        msg.msg_controllen = space;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::IPPROTO_IP;
        (*cmsg).cmsg_type = libc::IP_PKTINFO;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::in_pktinfo>() as u32) as usize;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::in_pktinfo>(), info);
        space
    }
}

impl AsFd for GreSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for GreSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
