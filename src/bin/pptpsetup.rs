//! `pptpsetup`: writes a PPTP client tunnel's peers file and chap-secrets entry, a drop-in
//! for pptp-linux's script.
fn main() {
    std::process::exit(pptp_rs::pptpsetup::main());
}
