//! `pptp`: the PPTP client, a drop-in for pptp-linux.
fn main() {
    std::process::exit(pptp_rs::client::main());
}
