//! `pptpd`: the PPTP server, a drop-in for poptop.
fn main() {
    std::process::exit(pptp_rs::server::daemon::main());
}
