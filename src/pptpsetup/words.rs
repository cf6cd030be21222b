//! pppd's word syntax, both ways: how pppd 2.4.9 cuts its options files and its secrets
//! files into words (`options.c: getword()`, which `auth.c: scan_authfile()` and
//! `options.c: options_from_file()` both call), and how to write a value so that pppd reads
//! back exactly that value.
//!
//! What getword() does, read from options.c :1133-1369 (and mirrored by [`Words`]):
//! - Between words it skips white space (C `isspace()`), comments (`#` to the end of the
//!   line) and backslash-newline. An unescaped newline seen there is reported to the caller,
//!   which is how scan_authfile() knows that a word starts a new entry.
//! - Inside a word, `\` escapes the next byte *whether or not the word is quoted*:
//!   `\a \b \f \n \r \t` are the C control characters, `\s` is a space, `\` followed by 1 to 3
//!   octal digits is that byte, `\x` followed by up to 2 hex digits is that byte (no digit at
//!   all gives a NUL), backslash-newline is dropped, and any other byte stands for itself.
//! - An unescaped `"` or `'` opens a quoted section that the same quote character closes;
//!   inside it white space and `#` are ordinary bytes, and so is the other quote character.
//!   Quoted sections and bare bytes can alternate within one word (`a"b c"d` is `ab cd`).
//! - Outside quotes an unescaped white-space byte or `#` ends the word.
//! - A word keeps at most `MAXWORDLEN - 1` = 1023 bytes, and C code sees it only up to its
//!   first NUL.
//!
//! The writer follows from that. [`quote`] leaves a value bare when every byte is printable
//! ASCII other than `"`, `'`, `\` and `#` (such a byte is neither white space, nor a comment,
//! nor an escape, nor a quote, so getword() stores it unchanged); otherwise [`quoted`] puts
//! the value in double quotes and writes `\` as `\\`, `"` as `\"`, and the ASCII control bytes
//! as `\xHH` with exactly two hex digits, which is the most getword() reads, so the byte after
//! the escape is never taken into it. Every other byte (space, `#`, `'`, `$`, bytes above
//! 0x7f) is ordinary inside quotes; keeping the bytes above 0x7f inside quotes also keeps
//! the result independent of the C locale's `isspace()`.
//!
//! Both directions are checked against pppd's own getword(), compiled from options.c, in
//! `tests/vectors/pptpsetup/getword.txt`: the reader gives its words on every input there,
//! and the real getword() read every hostile value back from what the writer wrote.

use std::ops::Range;

/// pppd's `MAXWORDLEN` (pppd.h): the size of getword()'s buffer, terminating NUL included.
pub const MAXWORDLEN: usize = 1024;

/// One word as pppd's getword() returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word's bytes as pppd's C code sees them: after escapes and quotes are undone, cut
    /// at 1023 bytes and at the first NUL.
    pub text: Vec<u8>,
    /// Where the word is in the input, from its first byte (a quote or a backslash included)
    /// to the byte after its last.
    pub span: Range<usize>,
    /// getword()'s `*newlinep`: an unescaped newline came between the previous word (or the
    /// start of the input) and this one.
    pub newline: bool,
}

/// The words of a file, in order, read exactly as pppd 2.4.9's getword() reads them.
#[derive(Debug, Clone)]
pub struct Words<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Words<'a> {
    /// Reads `input` from its start.
    pub fn new(input: &'a [u8]) -> Self {
        Words { input, pos: 0 }
    }

    /// C's `getc()`: the next byte, or `None` at the end (which stays at the end).
    fn getc(&mut self) -> Option<u8> {
        let c = self.input.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }
}

/// C's `isspace()` in the C locale (pppd never calls `setlocale()`).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_octal(c: u8) -> bool {
    (b'0'..b'8').contains(&c)
}

/// The value of a hex digit, computed as getword() does (`toupper(c) - '0'`, less 7 above
/// 10), which is right for every byte that `isxdigit()` accepts.
fn hex_value(c: u8) -> u32 {
    let mut digit = u32::from(c.to_ascii_uppercase()) - u32::from(b'0');
    if digit > 10 {
        digit = digit + u32::from(b'0') + 10 - u32::from(b'A');
    }
    digit
}

impl Iterator for Words<'_> {
    type Item = Word;

    fn next(&mut self) -> Option<Word> {
        let mut newline = false;
        let mut escape = false;
        let mut comment = false;
        let mut start = self.pos;

        // First skip white space and comments (getword()'s first loop).
        let mut c = loop {
            let Some(ch) = self.getc() else { break None };
            if ch == b'\n' {
                // A newline ends a comment; backslash-newline is ignored.
                if escape {
                    escape = false;
                } else {
                    newline = true;
                    comment = false;
                }
                continue;
            }
            if comment {
                continue;
            }
            if escape {
                // An escaped byte starts a word; the word begins at its backslash.
                break Some(ch);
            }
            if ch == b'\\' {
                escape = true;
                start = self.pos - 1;
                continue;
            }
            if ch == b'#' {
                comment = true;
                continue;
            }
            if !is_space(ch) {
                start = self.pos - 1;
                break Some(ch);
            }
        };

        // Then the word itself (getword()'s second loop). `len` counts every byte stored,
        // as C's does, while `word` keeps only what fits in MAXWORDLEN.
        let mut word: Vec<u8> = Vec::new();
        let mut len = 0usize;
        let mut quoted: Option<u8> = None;
        let mut store = |word: &mut Vec<u8>, byte: u8| {
            if len < MAXWORDLEN {
                word.push(byte);
                len += 1;
            }
        };
        let mut end = self.input.len();
        while let Some(ch) = c {
            if escape {
                escape = false;
                if ch == b'\n' {
                    c = self.getc();
                    continue;
                }
                let mut got = false;
                let value: u32 = match ch {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => u32::from(b'\n'),
                    b'r' => u32::from(b'\r'),
                    b's' => u32::from(b' '),
                    b't' => u32::from(b'\t'),
                    _ if is_octal(ch) => {
                        let mut value = 0;
                        let mut next = Some(ch);
                        for _ in 0..3 {
                            match next {
                                Some(d) if is_octal(d) => {
                                    value = (value << 3) + u32::from(d & 7);
                                    next = self.getc();
                                }
                                _ => break,
                            }
                        }
                        c = next;
                        got = true;
                        value
                    }
                    b'x' => {
                        let mut value = 0;
                        let mut next = self.getc();
                        for _ in 0..2 {
                            match next {
                                Some(d) if d.is_ascii_hexdigit() => {
                                    value = (value << 4) + hex_value(d);
                                    next = self.getc();
                                }
                                _ => break,
                            }
                        }
                        c = next;
                        got = true;
                        value
                    }
                    other => u32::from(other),
                };
                // C stores the int in a char: the low 8 bits (\777 is 0xff).
                store(&mut word, value as u8);
                if !got {
                    c = self.getc();
                }
                continue;
            }
            if ch == b'\\' {
                escape = true;
                c = self.getc();
                continue;
            }
            match quoted {
                Some(q) if ch == q => {
                    quoted = None;
                    c = self.getc();
                    continue;
                }
                Some(_) => {}
                None if ch == b'"' || ch == b'\'' => {
                    quoted = Some(ch);
                    c = self.getc();
                    continue;
                }
                None if is_space(ch) || ch == b'#' => {
                    // ungetc(): the byte belongs to what follows the word.
                    self.pos -= 1;
                    end = self.pos;
                    break;
                }
                None => {}
            }
            store(&mut word, ch);
            c = self.getc();
        }

        // At the end of the input with nothing stored, getword() returns 0: no word (even
        // after an empty quoted section such as a final `""`).
        if c.is_none() && len == 0 {
            return None;
        }
        word.truncate(MAXWORDLEN - 1);
        if let Some(nul) = word.iter().position(|&b| b == 0) {
            word.truncate(nul);
        }
        Some(Word {
            text: word,
            span: start..end,
            newline,
        })
    }
}

/// True for the bytes that getword() stores unchanged outside quotes and that never end a
/// word: printable ASCII except the two quotes, the escape and the comment character.
pub fn is_bare(byte: u8) -> bool {
    byte.is_ascii_graphic() && !matches!(byte, b'"' | b'\'' | b'\\' | b'#')
}

/// `value` written as one pppd word: bare when that is unambiguous (so `alice` stays
/// `alice`, as pptp-linux writes it), else [`quoted`].
///
/// pppd reads the result back as exactly `value` when `value` has no NUL byte (C strings end
/// there) and at most 1023 bytes (getword()'s limit); callers refuse anything else.
pub fn quote(value: &[u8]) -> Vec<u8> {
    if !value.is_empty() && value.iter().all(|&b| is_bare(b)) {
        value.to_vec()
    } else {
        quoted(value)
    }
}

/// `value` in double quotes, with `\` and `"` escaped by a backslash and the ASCII control
/// bytes written as `\xHH`: the form pptp-linux uses for its secrets (`"secret"`), made
/// correct for every byte. The same conditions as for [`quote`] apply.
pub fn quoted(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 2);
    out.push(b'"');
    for &b in value {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            0x00..=0x1f | 0x7f => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
    out
}

#[cfg(test)]
mod tests;
