//! Address syntax for `localip`, `remoteip` and `listen` (reference-behaviour.md §2.3,
//! poptop `pptpd.c: processIPStr()`, `isIpRange()`, `lookup()`).
//!
//! A list is comma-separated items; an item is a dotted quad, a range or a host name. Items
//! made of digits, dots and dashes only are numeric and never resolved (poptop's
//! `isIpRange()` draws the same line); anything else is a host name, resolved by `config::load`.
//!
//! A module of its own, below both the command line and the configuration file, which
//! check a `listen` address the same way.

use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

/// Most addresses in one `a.b.c.d-a.b.c.e` range: a /16, far more clients than one server
/// takes, and a bound on what a typo (`10.0.0.1-10.9.0.1`) can make us allocate.
pub const MAX_RANGE_LEN: u32 = 65536;
/// Longest host name in an address list or `listen`: the DNS limit.
const MAX_HOST_LEN: usize = 253;

/// One item of a `localip` or `remoteip` list, its syntax checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpItem {
    /// A dotted quad or a range, expanded in order.
    Addrs(Vec<Ipv4Addr>),
    /// A host name, resolved by [`load`](super::config::load) to its first IPv4 address.
    Host(String),
}

/// Parses a `localip`/`remoteip` list: items separated by commas (spaces around the commas
/// are tolerated, where poptop allowed none). An error is `(item, why)`.
pub fn parse_ip_list(spec: &str) -> Result<Vec<IpItem>, (String, String)> {
    spec.split(',')
        .map(str::trim)
        .map(|item| parse_ip_item(item).map_err(|why| (item.to_owned(), why)))
        .collect()
}

/// One list item: a dotted quad, a range or a host name.
fn parse_ip_item(item: &str) -> Result<IpItem, String> {
    if item.is_empty() {
        return Err("empty item".to_owned());
    }
    if !is_numeric(item) {
        return host_name(item).map(|()| IpItem::Host(item.to_owned()));
    }
    match item.matches('-').count() {
        0 => dotted_quad(item).map(|a| IpItem::Addrs(vec![a])),
        1 => range(item).map(IpItem::Addrs),
        // poptop logged "Confused in IP parse routines (multiple hyphens)" and went on.
        _ => Err("more than one '-'".to_owned()),
    }
}

fn is_numeric(item: &str) -> bool {
    item.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// A range: poptop's `a.b.c.d-e` with the dash inside any one octet (that octet counts up,
/// the others stay: `192.168.1-2.5` is 192.168.1.5 and 192.168.2.5, as `processIPStr()`
/// builds them), or our addition `a.b.c.d-a.b.c.e`, every address from one to the other
/// (poptop took it for a host name and exited).
fn range(item: &str) -> Result<Vec<Ipv4Addr>, String> {
    match item.matches('.').count() {
        3 => octet_range(item),
        6 => {
            let (first, last) = item.split_once('-').unwrap_or((item, ""));
            let (first, last) = (
                u32::from(dotted_quad(first)?),
                u32::from(dotted_quad(last)?),
            );
            if last < first {
                return Err(format!(
                    "range end {} is below its start {}",
                    Ipv4Addr::from(last),
                    Ipv4Addr::from(first)
                ));
            }
            let count = u64::from(last - first) + 1;
            if count > u64::from(MAX_RANGE_LEN) {
                return Err(format!(
                    "range has {count} addresses; the limit is {MAX_RANGE_LEN}"
                ));
            }
            Ok((first..=last).map(Ipv4Addr::from).collect())
        }
        _ => Err("a range is a.b.c.d-e (the dash inside one octet) or a.b.c.d-a.b.c.e".to_owned()),
    }
}

/// `a.b.c.d-e`, `a.b.c-d.e`, `a.b-c.d.e` or `a-b.c.d.e`.
fn octet_range(item: &str) -> Result<Vec<Ipv4Addr>, String> {
    let mut octets = [0u8; 4];
    let mut ranged = (0, 0, 0);
    for (i, part) in item.split('.').enumerate().take(4) {
        match part.split_once('-') {
            Some((lo, hi)) => {
                let (lo, hi) = (octet(lo)?, octet(hi)?);
                if hi < lo {
                    return Err(format!("range end {hi} is below its start {lo}"));
                }
                ranged = (i, lo, hi);
            }
            None => octets[i] = octet(part)?,
        }
    }
    let (i, lo, hi) = ranged;
    Ok((lo..=hi)
        .map(|n| {
            octets[i] = n;
            Ipv4Addr::from(octets)
        })
        .collect())
}

fn dotted_quad(text: &str) -> Result<Ipv4Addr, String> {
    let parts: Vec<&str> = text.split('.').collect();
    let [a, b, c, d] = parts[..] else {
        return Err(format!("'{text}' is not a dotted quad a.b.c.d"));
    };
    Ok(Ipv4Addr::new(octet(a)?, octet(b)?, octet(c)?, octet(d)?))
}

/// One decimal octet (`text` holds digits only).
///
/// Deliberate difference: a leading zero is refused. poptop read single addresses and the
/// fixed octets of a range with `inet_addr()`, where `010` is octal 8, but the bounds of a
/// range with `atoi()`, where it is 10; no reading of `010` is safe to guess.
fn octet(text: &str) -> Result<u8, String> {
    if text.is_empty() {
        return Err("empty octet".to_owned());
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(format!(
            "octet '{text}' has a leading zero (octal for inet_addr); write it in decimal"
        ));
    }
    match text.parse::<u16>() {
        Ok(n) if n <= 255 => Ok(n as u8),
        _ => Err(format!("octet {text} > 255")),
    }
}

/// Checks the shape of a host name: letters, digits, `-`, `_` and `.`, at most 253 bytes.
fn host_name(name: &str) -> Result<(), String> {
    let ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    if !name.bytes().all(ok) {
        let hint = if name.contains('/') {
            "; CIDR prefixes are not supported, write a range"
        } else {
            ""
        };
        return Err(format!("not an IPv4 address, range or host name{hint}"));
    }
    if name.len() > MAX_HOST_LEN {
        return Err(format!("host name longer than {MAX_HOST_LEN} characters"));
    }
    Ok(())
}

/// Checks a `listen` value (file or `-l`): a dotted quad or the shape of a host name.
pub(crate) fn check_host(value: &str) -> Result<(), String> {
    if !is_numeric(value) {
        host_name(value)
    } else if value.contains('-') {
        Err("a range is not a single address".to_owned())
    } else {
        dotted_quad(value).map(|_| ())
    }
}

/// Resolves a host name to its first IPv4 address, as poptop's `lookup()` did with
/// `gethostbyname()`. Dotted quads come back without a lookup.
pub(crate) fn resolve_ipv4(host: &str) -> Result<Ipv4Addr, String> {
    let addrs = (host, 0u16)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve host name: {e}"))?;
    addrs
        .filter_map(|a| match a.ip() {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
        .next()
        .ok_or_else(|| "host name has no IPv4 address".to_owned())
}

/// The addresses of a list in order, host names resolved by `resolve`; an error is
/// `(item, why)`.
pub(crate) fn expand(
    items: &[IpItem],
    resolve: impl Fn(&str) -> Result<Ipv4Addr, String>,
) -> Result<Vec<Ipv4Addr>, (String, String)> {
    let mut out = Vec::new();
    for item in items {
        match item {
            IpItem::Addrs(addrs) => out.extend_from_slice(addrs),
            IpItem::Host(name) => out.push(resolve(name).map_err(|why| (name.clone(), why))?),
        }
    }
    Ok(out)
}
