#!/bin/sh
# Install the Debian packages the email-channel tests need (run as root; idempotent).
#
#   dovecot-imapd  a real IMAP server; tests/adapters/test_imap_fetcher.py starts its own
#                  throw-away instance (own config, own free port on 127.0.0.1, no daemon).
#
# Debian's post-install may start a system-wide dovecot on ports 143/993. The tests neither
# use nor conflict with it (they bind a free port and use their own base_dir), so it is left
# alone here; stop it with `service dovecot stop` if you do not want it.
set -eu

PACKAGES="dovecot-imapd"

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    echo "install-test-deps: all present ($PACKAGES)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: need root to install:$missing" >&2
    exit 1
fi

echo "install-test-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
