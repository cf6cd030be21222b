//! `pptpctl`: sessions, counters, orderly ends and reloads of a running pptpd.
fn main() {
    std::process::exit(pptp_rs::pptpctl::main());
}
