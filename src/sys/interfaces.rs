//! The host's network interfaces with their IPv4 addresses (getifaddrs(3)), for bcrelay.

use std::collections::BTreeMap;
use std::io;
use std::net::Ipv4Addr;

use nix::ifaddrs::getifaddrs;
use nix::net::if_::{InterfaceFlags, if_nametoindex};

/// One interface as getifaddrs reports it (its first IPv4 address, if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Its name (`eth0`, `ppp3`).
    pub name: String,
    /// Its index.
    pub index: u32,
    /// Administratively up and running.
    pub up: bool,
    /// A point-to-point link (ppp).
    pub point_to_point: bool,
    /// Its IPv4 address.
    pub address: Option<Ipv4Addr>,
    /// Its subnet's broadcast address (broadcast links).
    pub broadcast: Option<Ipv4Addr>,
    /// The far end's address (point-to-point links).
    pub peer: Option<Ipv4Addr>,
}

/// Every interface, by name.
pub fn scan() -> io::Result<Vec<Interface>> {
    let mut by_name: BTreeMap<String, Interface> = BTreeMap::new();
    for entry in getifaddrs()? {
        let v4 = |a: Option<nix::sys::socket::SockaddrStorage>| {
            a.and_then(|s| s.as_sockaddr_in().map(|sin| sin.ip()))
        };
        let flags = entry.flags;
        let point_to_point = flags.contains(InterfaceFlags::IFF_POINTOPOINT);
        let address = v4(entry.address);
        let netmask = v4(entry.netmask);
        // getifaddrs has one union for both: the broadcast address, or the peer's.
        let other = v4(if point_to_point {
            entry.destination
        } else {
            entry.broadcast
        })
        .filter(|a| !a.is_unspecified() && (point_to_point || Some(*a) != address));
        // `ip addr add 192.0.2.1/24` without `brd +` leaves the broadcast address unset
        // (glibc then reports the address itself); the subnet still has one.
        let other = match (point_to_point, other, address, netmask) {
            (false, None, Some(a), Some(m)) if m != Ipv4Addr::BROADCAST => {
                Some(Ipv4Addr::from(u32::from(a) | !u32::from(m)))
            }
            _ => other,
        };
        let name = entry.interface_name;
        let iface = match by_name.get_mut(&name) {
            Some(i) => i,
            None => {
                let Ok(index) = if_nametoindex(name.as_str()) else {
                    continue; // gone between the dump and now
                };
                by_name.entry(name.clone()).or_insert(Interface {
                    name,
                    index,
                    up: flags.contains(InterfaceFlags::IFF_UP)
                        && flags.contains(InterfaceFlags::IFF_RUNNING),
                    point_to_point,
                    address: None,
                    broadcast: None,
                    peer: None,
                })
            }
        };
        if iface.address.is_none() && address.is_some() {
            iface.address = address;
            if point_to_point {
                iface.peer = other;
            } else {
                iface.broadcast = other;
            }
        }
    }
    Ok(by_name.into_values().collect())
}
