//! `/etc/ppp/peers/TUNNEL`: the pppd options file that `pppd call TUNNEL` reads.
//!
//! The text is pptp-linux's, line for line (pptpsetup `create()`): a comment, the `pty`
//! command that runs our `pptp` with `--nolaunchpppd`, `lock`, `noauth`, `nobsdcomp`,
//! `nodeflate`, `name`, `remotename`, `ipparam` and, with `--encrypt`, `require-mppe-128`.
//! Only the `name` value can differ: pptp-linux wrote it unescaped, and pppd's getword()
//! then read `DOMAIN\USER` as `DOMAINUSER` (or worse, `\a`, `\n`, `\t` ... became control
//! bytes); it is written with [`words::quote`] here, so `DOMAIN\USER` reaches pppd intact.

use super::words::{self, Words};

/// The client that the `pty` line runs: the absolute path pptp-linux 1.10.0 switched to
/// (NEWS: "use absolute path to pptp"), where our `pptp` is installed.
pub const PPTP: &str = "/usr/sbin/pptp";

/// The peers file for a tunnel.
///
/// `server` must be a value that [`super::cli`] accepted: it goes unquoted into the `pty`
/// word, which pppd unquotes and then hands to `/bin/sh -c` (pppd `tty.c`, `main.c:
/// device_script()`), so it is restricted to bytes that neither changes. `identity` is
/// `[DOMAIN\]USER`; `tunnel` a valid tunnel name.
pub fn text(tunnel: &str, server: &str, identity: &[u8], encrypt: bool) -> Vec<u8> {
    let mut out = format!(
        "# written by pptpsetup\n\
         pty \"{PPTP} {server} --nolaunchpppd\"\n\
         lock\n\
         noauth\n\
         nobsdcomp\n\
         nodeflate\n\
         name "
    )
    .into_bytes();
    out.extend(words::quote(identity));
    out.extend_from_slice(format!("\nremotename {tunnel}\nipparam {tunnel}\n").as_bytes());
    if encrypt {
        out.extend_from_slice(b"require-mppe-128\n");
    }
    out
}

/// The value of the last `name` option in a peers file, as pppd reads it (a later option
/// overrides an earlier one), or `None` when there is none.
///
/// Only a `name` that starts a line counts: without pppd's table of every option and its
/// arguments, a word `name` elsewhere may be another option's value (`ipparam name` in the
/// file of a tunnel called "name"). pptpsetup writes one option per line, and so do people.
pub fn user_name(peers: &[u8]) -> Option<Vec<u8>> {
    let words: Vec<_> = Words::new(peers).collect();
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        let starts_line = i == 0 || w.newline;
        if starts_line
            && w.text == b"name"
            && let Some(value) = words.get(i + 1).filter(|v| !v.newline)
        {
            found = Some(value.text.clone());
        }
    }
    found
}

#[cfg(test)]
mod tests;
