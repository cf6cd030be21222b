# Shared by the host-side scripts (setup, vm-run, test, demo). Sourced, not run.

# virtme-ng lives in its own virtualenv, outside the work tree so that fresh clones reuse it.
VM_VENV=${PPTP_RS_VM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pptp-rs/vm-venv}
VNG=$VM_VENV/bin/vng

say() { printf '%s\n' "$*" >&2; }
die() {
	say "$*"
	exit 2
}

# The newest installed Debian kernel that has both an image in /boot and its modules.
vm_kernel_version() {
	local v best=
	for v in $(ls /lib/modules 2>/dev/null | sort -V); do
		[ -r "/boot/vmlinuz-$v" ] && best=$v
	done
	[ -n "$best" ] || die "no Debian kernel with modules found (run scripts/setup)"
	printf '%s\n' "$best"
}

# True when this machine's own kernel can run pppd (so no VM is needed).
host_has_ppp() {
	{ [ -c /dev/ppp ] || modprobe -q ppp_generic 2>/dev/null; } && [ -c /dev/ppp ]
}

# A Rust toolchain new enough for the project, installed with rustup when missing (edition
# 2024 and our dependencies need rustc >= 1.88; Debian 12 ships 1.63), with rustfmt and
# clippy; cargo is on PATH afterwards.
ensure_rust() {
	[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
	local v=
	command -v cargo >/dev/null && v=$(rustc --version | awk '{print $2}')
	if [ -z "$v" ] || [ "$(printf '%s\n1.88.0\n' "$v" | sort -V | head -1)" != "1.88.0" ]; then
		say "installing a current Rust toolchain with rustup"
		curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
		. "$HOME/.cargo/env"
	fi
	if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
		rustup component add rustfmt clippy
	fi
}
