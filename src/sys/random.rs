//! Random numbers from the kernel, for Call IDs (Debian #721963: clients behind one NAT
//! must not collide).

use std::io::{self, Read};

/// A random u16 from /dev/urandom.
pub fn random_u16() -> io::Result<u16> {
    let mut bytes = [0u8; 2];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(u16::from_ne_bytes(bytes))
}
