//! Login records for tunnel sessions: utmp (what `who` shows) and wtmp (what `last`
//! shows), written through glibc as login(1) would.
//!
//! poptop's `pptpd-logwtmp.so` plugin wrote wtmp from inside pppd with `logwtmp(ifname,
//! user, client)`, and broke with every ppp upgrade (Debian #297508, #305012, #343150,
//! #369714, #387538, #593278, #745770, #805567: a plugin must match pppd's exact
//! version). pptpd writes the same records itself, from pppd's ip-up and ip-down hooks.

use std::ffi::CString;
use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where `last` reads.
const WTMP: &str = "/var/log/wtmp";

unsafe extern "C" {
    /// glibc's `updwtmpx(3)`: appends one record to a wtmp file, locked.
    fn updwtmpx(wtmpx_file: *const libc::c_char, utmpx: *const libc::utmpx);
}

/// A session logged in on `line` (the ppp interface) by `user` from `host` (the client's
/// address), for process `pid` (pppd).
pub fn login(line: &str, user: &str, host: &str, pid: u32) -> io::Result<()> {
    write(libc::USER_PROCESS, line, user, host, pid)
}

/// The session on `line` ended.
pub fn logout(line: &str, pid: u32) -> io::Result<()> {
    write(libc::DEAD_PROCESS, line, "", "", pid)
}

fn write(kind: libc::c_short, line: &str, user: &str, host: &str, pid: u32) -> io::Result<()> {
    // SAFETY: utmpx is plain data; all-zero is a valid (empty) record.
    let mut ut: libc::utmpx = unsafe { std::mem::zeroed() };
    ut.ut_type = kind;
    ut.ut_pid = pid as libc::pid_t;
    copy(&mut ut.ut_line, line);
    // The id is the line's last four characters, as login(1) and pppd's logwtmp do.
    let id = &line[line.len().saturating_sub(4)..];
    copy(&mut ut.ut_id, id);
    copy(&mut ut.ut_user, user);
    copy(&mut ut.ut_host, host);
    if let Ok(host) = host.parse::<std::net::Ipv4Addr>() {
        ut.ut_addr_v6[0] = u32::from_ne_bytes(host.octets()) as i32;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    ut.ut_tv.tv_sec = now.as_secs() as _;
    ut.ut_tv.tv_usec = now.subsec_micros() as _;
    let wtmp = CString::new(WTMP).map_err(io::Error::other)?;
    // SAFETY: `ut` is a valid record on our stack, `wtmp` a NUL-terminated path; the utmp
    // functions copy what they read, and we use them from one thread only.
    unsafe {
        libc::setutxent();
        let written = libc::pututxline(&ut);
        libc::endutxent();
        updwtmpx(wtmp.as_ptr(), &ut);
        if written.is_null() {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Copies `text` into a fixed utmp field, cut to fit, NUL-padded as the fields are.
fn copy(field: &mut [libc::c_char], text: &str) {
    for (dst, &src) in field.iter_mut().zip(text.as_bytes()) {
        *dst = src as libc::c_char;
    }
}
