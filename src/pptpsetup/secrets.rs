//! `/etc/ppp/chap-secrets`: the entry pptpsetup adds for a tunnel, what a secret must be
//! for pppd to read it back, and which lines of the file are a tunnel's.
//!
//! pppd reads the file with `auth.c: scan_authfile()`: an entry is a word that starts a
//! line (client), then on the same logical line the server, the secret and any addresses,
//! every word read by `options.c: getword()` (see [`super::words`]). The client side of a
//! tunnel looks up `client = name`, `server = remotename`, which pptpsetup sets to
//! `[DOMAIN\]USER` and the tunnel's name.
//!
//! pptp-linux's entry is `[DOMAIN\]USER TUNNEL "PASSWORD" *` after a blank line and a
//! comment. It wrote USER and PASSWORD unescaped, so that a `\`, a `"` or (in USER) a space
//! or `#` changed what pppd read, and its `--delete` removed every line matching
//! `/\bTUNNEL\b/`: other tunnels' entries and comments (`vpn` matches `vpn-2`, `my.vpn`, or a
//! password `"vpn 2"`) and other users' lines. Here the values are written with
//! [`words::quote`] and [`words::quoted`], and [`tunnel_lines`] finds only the tunnel's own
//! lines, reading the file as pppd does.

use std::ops::Range;

use super::words::{self, Word, Words};

/// pppd's `MAXSECRETLEN` (pppd.h): `auth.c: get_secret()` cuts a longer secret, with an
/// error in the log.
pub const MAXSECRETLEN: usize = 256;

/// pppd's `MAXNAMELEN` (pppd.h), the size of the buffers of the `name` and `remotename`
/// options, terminating NUL included: pppd silently cuts a longer value to 255 bytes.
pub const MAXNAMELEN: usize = 256;

/// The comment line pptpsetup writes above a tunnel's entry (pptp-linux `create()`).
pub fn comment(tunnel: &str) -> String {
    format!("# added by pptpsetup for {tunnel}")
}

/// The text appended to chap-secrets for a tunnel: a blank line, the comment and the entry,
/// in pptp-linux's order and spacing. The blank line comes first so that a file without a
/// final newline still gets its last line ended.
///
/// `identity` is `[DOMAIN\]USER` and `secret` the password, both already accepted by
/// [`super::cli`] and [`check_secret`]; `tunnel` is a valid tunnel name, which is always a
/// bare word.
pub fn entry(tunnel: &str, identity: &[u8], secret: &[u8]) -> Vec<u8> {
    let mut out = format!("\n{}\n", comment(tunnel)).into_bytes();
    out.extend(words::quote(identity));
    out.push(b' ');
    out.extend_from_slice(tunnel.as_bytes());
    out.push(b' ');
    // Always in double quotes, as pptp-linux writes it, so that an ordinary password gives
    // the same bytes ("secret").
    out.extend(words::quoted(secret));
    out.extend_from_slice(b" *\n");
    out
}

/// Refuses a secret that pppd could not read back exactly; the error completes
/// "invalid password: ".
pub fn check_secret(secret: &[u8]) -> Result<(), String> {
    if secret.contains(&0) {
        return Err(
            "it contains a NUL byte, which pppd cannot store (its secrets are C strings)".into(),
        );
    }
    if secret.len() > MAXSECRETLEN {
        return Err(format!(
            "it is {} bytes long, and pppd uses at most {MAXSECRETLEN} (MAXSECRETLEN)",
            secret.len()
        ));
    }
    if secret.starts_with(b"@/") {
        // scan_authfile() looks at the secret after unquoting, so no quoting can keep it.
        return Err(
            "a secret that starts with '@/' is read by pppd as the name of a file \
                    that holds the secret, whatever its quoting"
                .into(),
        );
    }
    Ok(())
}

/// The byte ranges of `file` (a chap-secrets text) that belong to tunnel `tunnel`, sorted
/// and disjoint, each made of whole lines:
/// - the comment line `# added by pptpsetup for TUNNEL`, the blank line pptpsetup wrote
///   just before it, and the entry on the line just after it when that entry's server is
///   `TUNNEL` (the block [`entry`] writes, and pptp-linux wrote);
/// - every entry whose client is one of `users` and whose server is `TUNNEL`: the entries
///   pppd would use for this tunnel's `name` and `remotename`.
///
/// Words are compared as pppd sees them, after unquoting, so entries written by pptp-linux
/// (unescaped) and by us (quoted) are both found. Entries of other tunnels, other users'
/// entries, wildcard entries and comments that merely mention the name are kept.
pub fn tunnel_lines(file: &[u8], tunnel: &str, users: &[Vec<u8>]) -> Vec<Range<usize>> {
    let words: Vec<Word> = Words::new(file).collect();
    let entries = entries(file, &words);
    let lines = lines(file);
    let comment = comment(tunnel);
    let is_tunnel = |e: &Entry| e.words.get(1).is_some_and(|w| w.text == tunnel.as_bytes());

    let mut out: Vec<Range<usize>> = Vec::new();
    for e in entries.iter().filter(|e| is_tunnel(e)) {
        if users.iter().any(|u| *u == e.words[0].text) {
            out.push(e.bytes.clone());
        }
    }
    for (i, line) in lines.iter().enumerate() {
        if !is_free(line, &words) || strip_newline(&file[line.clone()]) != comment.as_bytes() {
            continue;
        }
        out.push(line.clone());
        if let Some(before) = i.checked_sub(1).map(|b| &lines[b])
            && &file[before.clone()] == b"\n"
            && is_free(before, &words)
        {
            out.push(before.clone());
        }
        if let Some(next) = entries.iter().find(|e| e.bytes.start == line.end)
            && is_tunnel(next)
        {
            out.push(next.bytes.clone());
        }
    }
    merge(out)
}

/// `file` without the bytes in `ranges` (sorted and disjoint, as [`tunnel_lines`] gives).
pub fn remove(file: &[u8], ranges: &[Range<usize>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(file.len());
    let mut at = 0;
    for r in ranges {
        out.extend_from_slice(&file[at..r.start]);
        at = r.end;
    }
    out.extend_from_slice(&file[at..]);
    out
}

/// One entry of the file as scan_authfile() groups words: a word that starts a line, and the
/// words after it up to the next one that does.
struct Entry<'w> {
    words: &'w [Word],
    /// From the start of the line of its first word to the end of the line of its last.
    bytes: Range<usize>,
}

fn entries<'w>(file: &[u8], words: &'w [Word]) -> Vec<Entry<'w>> {
    let mut out = Vec::new();
    let mut first = 0;
    for i in 1..=words.len() {
        // scan_authfile() takes the file's first word as a client even without a newline.
        if i == words.len() || words[i].newline {
            let (head, last) = (&words[first], &words[i - 1]);
            out.push(Entry {
                words: &words[first..i],
                bytes: line_start(file, head.span.start)..line_end(file, last.span.end),
            });
            first = i;
        }
    }
    out
}

fn line_start(file: &[u8], at: usize) -> usize {
    file[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |n| n + 1)
}

fn line_end(file: &[u8], at: usize) -> usize {
    file[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(file.len(), |n| at + n + 1)
}

/// The physical lines of `file`, each with its newline (the last one may have none).
fn lines(file: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < file.len() {
        let end = line_end(file, start);
        out.push(start..end);
        start = end;
    }
    out
}

/// True when no word has a byte on `line`, so that the line is only white space or a
/// comment as pppd reads it (and not, say, the inside of a quoted word).
fn is_free(line: &Range<usize>, words: &[Word]) -> bool {
    !words
        .iter()
        .any(|w| w.span.start < line.end && line.start < w.span.end)
}

fn strip_newline(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

/// Sorts `ranges` and joins the ones that overlap or touch.
fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests;
