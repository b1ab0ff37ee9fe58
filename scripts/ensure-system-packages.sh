#!/bin/sh
# What the test suite needs from the system, installed once: `make test` and .ci/run both run this.
#
# The SSH end-to-end test (tests/e2e/test_ssh.py) runs a real sshd on loopback,
# so the suite needs OpenSSH: sshd, ssh and ssh-keygen. When they are there this
# does nothing and takes no time (no apt call). When they are missing it installs
# them with apt-get (as root, or through sudo), or stops at once with the command
# that installs them: a missing package is a setup step, never a red test.
set -eu

PACKAGES="openssh-server openssh-client"
me="scripts/ensure-system-packages.sh"

have_all() {
    [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null 2>&1 \
        && command -v ssh-keygen >/dev/null 2>&1
}

if have_all; then
    exit 0
fi

install="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$me: the tests need OpenSSH (sshd, ssh, ssh-keygen), and there is no apt-get here;" >&2
    echo "  install your system's OpenSSH server and client packages, then run this again." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    sudo="sudo"  # without a password, or asking for it on this terminal
else
    echo "$me: the tests need OpenSSH (sshd, ssh, ssh-keygen); install it as root with:" >&2
    echo "  $install" >&2
    exit 1
fi

echo "$me: installing $PACKAGES (the SSH test runs a real sshd)" >&2
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES
if ! have_all; then
    echo "$me: installed $PACKAGES, yet sshd, ssh or ssh-keygen is still missing;" >&2
    echo "  check with: ls -l /usr/sbin/sshd; command -v ssh ssh-keygen" >&2
    exit 1
fi
