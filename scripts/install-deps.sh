#!/usr/bin/env bash
# install-deps.sh - everything the whole test suite needs on a fresh Debian 12 machine, as root:
# the lab's daemons (lab/lab.sh install), the firewall validators and scanners the tests compare
# against, a Python venv with impacket and botocore (independent cross-checks), cargo-fuzz, and
# cargo-machete (the unused-dependency check of scripts/test.sh).
# Idempotent: a second run installs nothing. Without root it only checks and reports.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

# Debian packages used by tests outside the lab: firewall validators, nmap (baseline and XML
# DTD), ndiff (nmap XML comparison), hyperfine and time (benchmarks: wall time, peak memory),
# tcpdump (captures), xmllint, groff and man (the manual page), and headless Chromium (the HTML
# report is loaded in a real browser: crates/report/tests/browser.rs), libc6-dev, whose
# static libc.a the static build check links (scripts/build-static.sh), and gcc, whose
# libgcc_eh.a every glibc build of the binary links (crates/cli/build.rs).
TEST_PKGS=(libc6-dev gcc nftables iptables firewalld ufw libxml2-utils util-linux nmap ndiff hyperfine time tcpdump python3-venv groff-base man-db perl chromium-headless-shell)
VENV="${PORTOLAN_VENV:-/opt/portolan-venv}"
PY_PKGS=(impacket botocore python-hcl2 junitparser ansible-core aerleon kubernetes-validate)

missing=()
for p in "${TEST_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# cargo-machete needs no root: install it for whoever runs the lint step. Pinned, from crates.io.
MACHETE_VERSION=0.9.2
if ! PATH="$HOME/.cargo/bin:$PATH" cargo-machete --version 2>/dev/null | grep -qF "$MACHETE_VERSION"; then
    cargo install --locked -q cargo-machete@"$MACHETE_VERSION"
fi

if [ "$(id -u)" -ne 0 ]; then
    [ ${#missing[@]} -eq 0 ] || echo "install-deps: not root; missing packages: ${missing[*]}" >&2
    exit 0
fi

bash lab/lab.sh install

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Keep package scripts from starting services on this machine (firewalld, ufw).
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        created_policy=1
    fi
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
    [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# The system python3 may come from pyenv; any python3 with venv support will do.
# impacket (rpcdump, the endpoint-mapper cross-check), botocore (AWS parameter validation),
# python-hcl2 (Terraform syntax), junitparser (JUnit output), ansible-core (deploy/ansible),
# aerleon (aclgen, the second rule generator the Aerleon export is proven against),
# kubernetes-validate (the Kubernetes schemas, shipped in the package, so deploy/kubernetes is
# checked offline).
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" || /usr/bin/python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import impacket, botocore, hcl2, junitparser, ansible, aerleon, kubernetes_validate" 2>/dev/null; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PY_PKGS[@]}"
fi

if ! command -v cargo-fuzz >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
    cargo install --locked -q cargo-fuzz
fi
echo "install-deps: done"
