//! One word of a hosts_access(5) list: a daemon pattern, or a host pattern matched against
//! an address, as libwrap's `hosts_access.c` matches them (`string_match`, `host_match`,
//! `masked_match`), with Debian's additions (`n.n.n.n/mm`, `*` and `?`).
//!
//! pptpd never looks a host name up: a reverse lookup would block the event loop (libwrap
//! calls gethostbyaddr in the accepting process) and an answer from the client's own DNS
//! proves nothing. So a pattern that needs the client's name (a host name, `.domain`,
//! `@netgroup`, `LOCAL`, `KNOWN`, `UNKNOWN`, `PARANOID`) is refused when the file is read,
//! with a warning, and matches no client. Every comparison is case-insensitive, as
//! libwrap's `STR_EQ` (strcasecmp).

use std::net::Ipv4Addr;

/// How a host pattern matches an IPv4 address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// `ALL`.
    All,
    /// `n.n.n.n`.
    Addr(Ipv4Addr),
    /// `n.n.n.`: the dotted address starts with it (a string prefix, as libwrap's).
    Prefix(String),
    /// `n.n.n.n/m.m.m.m` or `n.n.n.n/mm`: `address & mask == net`.
    Net {
        /// The network.
        net: Ipv4Addr,
        /// Its mask.
        mask: Ipv4Addr,
    },
    /// `*` and `?` over the dotted address (Debian's wildcard patch).
    Glob(String),
    /// `/path`: the host patterns listed in that file (read when the table is).
    File(Vec<Host>),
    /// Matches no IPv4 client: an IPv6 pattern, a refused or broken one (warned about).
    Nothing,
}

/// A host word parsed: the pattern and, when it is refused or cannot match as written, why
/// (for a warning naming the line).
pub struct Parsed {
    /// The pattern.
    pub host: Host,
    /// What to warn about.
    pub warning: Option<String>,
}

impl Parsed {
    fn ok(host: Host) -> Parsed {
        Parsed {
            host,
            warning: None,
        }
    }

    fn nothing(warning: String) -> Parsed {
        Parsed {
            host: Host::Nothing,
            warning: Some(warning),
        }
    }
}

/// Why a name-based pattern is refused.
const NO_LOOKUPS: &str = "needs the client's host name, and pptpd does no DNS lookups: it \
                          matches no client (write the addresses instead)";

/// Parses one host word. A `/path` word comes back as an empty [`Host::File`]; the table
/// parser reads the file and fills it.
pub fn parse_host(word: &str) -> Parsed {
    let upper = word.to_ascii_uppercase();
    match upper.as_str() {
        "ALL" => return Parsed::ok(Host::All),
        "LOCAL" | "KNOWN" | "UNKNOWN" | "PARANOID" => {
            return Parsed::nothing(format!("'{word}' {NO_LOOKUPS}"));
        }
        _ => {}
    }
    if word.starts_with('@') {
        return Parsed::nothing(format!("netgroup '{word}' {NO_LOOKUPS}"));
    }
    if word.starts_with('/') {
        return Parsed::ok(Host::File(Vec::new()));
    }
    if word.starts_with('[') {
        // libwrap's [v6]/n: never an IPv4 client (our listener is IPv4 only).
        return Parsed::ok(Host::Nothing);
    }
    let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if let Some((net, mask)) = word.split_once('/') {
        return parse_net(word, net, mask);
    }
    if word.contains(['*', '?']) {
        if word.bytes().all(|b| b"0123456789.*?".contains(&b)) {
            return Parsed::ok(Host::Glob(word.to_owned()));
        }
        return Parsed::nothing(format!("host name pattern '{word}' {NO_LOOKUPS}"));
    }
    if word.starts_with('.') {
        return Parsed::nothing(format!("domain '{word}' {NO_LOOKUPS}"));
    }
    if !numeric(word) {
        return Parsed::nothing(format!("host name '{word}' {NO_LOOKUPS}"));
    }
    if let Some(prefix) = word.strip_suffix('.') {
        let parts: Vec<&str> = prefix.split('.').collect();
        if parts.len() > 3 || parts.iter().any(|p| p.parse::<u8>().is_err()) {
            return Parsed::nothing(format!(
                "'{word}' is not an address prefix such as 192.0.2. and matches no client"
            ));
        }
        return Parsed::ok(Host::Prefix(word.to_owned()));
    }
    match word.parse::<Ipv4Addr>() {
        Ok(addr) => Parsed::ok(Host::Addr(addr)),
        Err(_) => Parsed::nothing(format!(
            "'{word}' is not an address and matches no client (a prefix ends in a dot: '{word}.')"
        )),
    }
}

/// `net/mask` and `net/len`, as libwrap's `masked_match`: a dotted-quad net and mask, and
/// `addr & mask == net`, so a net with bits outside its mask matches nothing.
fn parse_net(word: &str, net: &str, mask: &str) -> Parsed {
    let mask_word = mask;
    if net.starts_with('[') {
        return Parsed::ok(Host::Nothing);
    }
    let Ok(net) = net.parse::<Ipv4Addr>() else {
        return Parsed::nothing(format!(
            "bad net/mask '{word}': the net must be a full address such as 192.0.2.0; it \
             matches no client"
        ));
    };
    let mask = if mask.contains('.') {
        match mask.parse::<Ipv4Addr>() {
            // libwrap's dot_quad_addr() takes 255.255.255.255 for INADDR_NONE: the rule
            // never matched there (hosts_access(5) says so), and it does not here.
            Ok(m) if m == Ipv4Addr::BROADCAST => {
                return Parsed::nothing(format!(
                    "'{word}': libwrap takes 255.255.255.255 for an invalid mask, so this \
                     matches no client; write the address alone"
                ));
            }
            Ok(m) => m,
            Err(_) => {
                return Parsed::nothing(format!(
                    "bad net/mask '{word}': the mask must be a full address such as \
                     255.255.255.0 or a length such as 24; it matches no client"
                ));
            }
        }
    } else {
        match mask.parse::<u8>() {
            Ok(len) if len <= 32 => {
                Ipv4Addr::from(u32::MAX.checked_shl(32 - len as u32).unwrap_or(0))
            }
            _ => {
                return Parsed::nothing(format!(
                    "bad net/mask '{word}': a prefix length is 0 to 32; it matches no client"
                ));
            }
        }
    };
    if u32::from(net) & !u32::from(mask) != 0 {
        let fixed = Ipv4Addr::from(u32::from(net) & u32::from(mask));
        return Parsed::nothing(format!(
            "'{word}' has address bits outside its mask, which libwrap never matches: it \
             matches no client (did you mean {fixed}/{mask_word}?)"
        ));
    }
    Parsed::ok(Host::Net { net, mask })
}

impl Host {
    /// Whether the pattern matches `addr`; `None` is an address that is not known (the
    /// server's own, when the socket could not say).
    pub fn matches(&self, addr: Option<Ipv4Addr>) -> bool {
        match (self, addr) {
            (Host::All, _) => true,
            (Host::File(hosts), _) => hosts.iter().any(|h| h.matches(addr)),
            (_, None) | (Host::Nothing, _) => false,
            (Host::Addr(a), Some(addr)) => *a == addr,
            (Host::Prefix(p), Some(addr)) => addr.to_string().starts_with(p.as_str()),
            (Host::Net { net, mask }, Some(addr)) => {
                u32::from(addr) & u32::from(*mask) == u32::from(*net)
            }
            (Host::Glob(g), Some(addr)) => glob(g.as_bytes(), addr.to_string().as_bytes()),
        }
    }
}

/// libwrap's `string_match` for daemon and user names: `.suffix`, `ALL`, `KNOWN` (anything
/// but "unknown"), `prefix.`, `*` and `?`, else the whole name; case-insensitive.
pub fn string_match(pattern: &str, name: &str) -> bool {
    let (p, s) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
    if p.starts_with('.') {
        s.len() > p.len() && s.ends_with(&p)
    } else if p == "all" {
        true
    } else if p == "known" {
        s != "unknown"
    } else if p.ends_with('.') {
        s.starts_with(&p)
    } else if p.contains(['*', '?']) {
        glob(p.as_bytes(), s.as_bytes())
    } else {
        p == s
    }
}

/// Shell-style `*` and `?` (no classes), iterative with one backtrack point: linear in
/// practice and never recursive on hostile patterns.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c.eq_ignore_ascii_case(&text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(word: &str, addr: &str) -> bool {
        parse_host(word).host.matches(Some(addr.parse().unwrap()))
    }

    fn refused(word: &str) -> String {
        let parsed = parse_host(word);
        assert_eq!(parsed.host, Host::Nothing, "{word}");
        parsed
            .warning
            .unwrap_or_else(|| panic!("{word}: no warning"))
    }

    #[test]
    fn address_forms() {
        assert!(m("ALL", "198.51.100.7"));
        assert!(m("all", "198.51.100.7"));
        assert!(m("198.51.100.7", "198.51.100.7"));
        assert!(!m("198.51.100.7", "198.51.100.70"));
        assert!(m("198.51.", "198.51.100.7"));
        assert!(m("198.51.100.", "198.51.100.7"));
        assert!(!m("198.5.", "198.51.100.7"), "a prefix ends at a dot");
        // The man page's net/mask example: 131.155.72.0 to 131.155.73.255.
        assert!(m("131.155.72.0/255.255.254.0", "131.155.73.255"));
        assert!(m("131.155.72.0/255.255.254.0", "131.155.72.0"));
        assert!(!m("131.155.72.0/255.255.254.0", "131.155.74.0"));
        assert!(m("198.51.100.0/24", "198.51.100.255"));
        assert!(!m("198.51.100.0/24", "198.51.101.0"));
        assert!(m("0.0.0.0/0", "203.0.113.9"));
        assert!(m("203.0.113.9/32", "203.0.113.9"));
        assert!(m("198.51.100.*", "198.51.100.7"));
        assert!(m("198.51.10?.7", "198.51.100.7"));
        assert!(!m("198.51.10?.7", "198.51.10.7"));
        assert!(!m("[2001:db8::]/32", "198.51.100.7"));
    }

    #[test]
    fn name_patterns_are_refused_with_a_reason() {
        for word in [
            "LOCAL",
            "KNOWN",
            "unknown",
            "PARANOID",
            ".example.com",
            "gw.example.com",
            "@trusted",
            "*.example.com",
            "office.",
        ] {
            let why = refused(word);
            assert!(why.contains("no DNS lookups"), "{word}: {why}");
            assert!(!parse_host(word).host.matches(Some(Ipv4Addr::LOCALHOST)));
        }
    }

    #[test]
    fn broken_addresses_match_nothing_and_say_what_to_write() {
        assert!(refused("198.51.100.7/24").contains("did you mean 198.51.100.0/24?"));
        assert!(refused("198.51.100.0/255.255.255.255").contains("write the address alone"));
        assert!(refused("198.51.100.0/33").contains("0 to 32"));
        assert!(refused("198.51.100.0/255.255.x.0").contains("a length such as 24"));
        assert!(
            m("10.0.0.1/255.0.0.255", "10.7.7.1"),
            "libwrap takes any mask"
        );
        assert!(refused("198.51.100/24").contains("full address"));
        assert!(refused("198.51.100").contains("'198.51.100.'"));
        assert!(refused("300.1.").contains("not an address prefix"));
        assert!(refused("198.051.100.7").contains("not an address"));
    }

    #[test]
    fn string_match_is_libwraps() {
        assert!(string_match("pptpd", "pptpd"));
        assert!(string_match("PPTPD", "pptpd"));
        assert!(string_match("ALL", "pptpd"));
        assert!(string_match("KNOWN", "pptpd"));
        assert!(!string_match("KNOWN", "unknown"));
        assert!(string_match("UNKNOWN", "unknown"));
        assert!(string_match("pptp*", "pptpd"));
        assert!(string_match("pp.", "pp.tpd"));
        assert!(!string_match("in.fingerd", "pptpd"));
        assert!(string_match(".d", "pptp.d"));
        assert!(
            !string_match(".d", ".d"),
            "a suffix needs something before it"
        );
    }

    #[test]
    fn glob_backtracks_without_blowing_up() {
        assert!(glob(b"*1*", b"198.51.100.7"));
        assert!(glob(b"1*.*.*.7", b"198.51.100.7"));
        assert!(!glob(b"1*.*.*.8", b"198.51.100.7"));
        let hostile = [b'*'; 64];
        assert!(glob(&hostile, b"198.51.100.7"));
        let mut hostile = b"*a".repeat(32);
        hostile.push(b'b');
        assert!(!glob(&hostile, &[b'a'; 200]));
    }
}
