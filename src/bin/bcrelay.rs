//! `bcrelay`: IPv4 broadcasts between the LAN and the PPTP tunnels, for pptpd.
fn main() {
    std::process::exit(pptp_rs::bcrelay::main());
}
