#!/usr/bin/env bash
# Checks (and, as root, installs) everything casefile needs to build, test and run the demo.
# Usage: scripts/setup.sh [--quiet]
# Exit 0 when everything is present, 1 when something is missing that this script cannot install.
set -u
here=$(cd "$(dirname "$0")" && pwd)
quiet=0
[ "${1:-}" = "--quiet" ] && quiet=1
say() { [ "$quiet" = 1 ] || echo "setup: $*"; }

missing=()
while read -r pkg; do
    case "$pkg" in ''|'#'*) continue ;; esac
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done < "$here/packages.txt"

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "setup: installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        log=/tmp/casefile-setup-apt.log
        # Try with the package lists we have; refresh them once if that fails.
        if ! apt-get install -y -qq "${missing[@]}" >"$log" 2>&1; then
            apt-get update -qq >>"$log" 2>&1 || true
            apt-get install -y -qq "${missing[@]}" >>"$log" 2>&1 || {
                echo "setup: apt-get install failed; see $log" >&2
                exit 1
            }
        fi
    else
        echo "setup: missing Debian packages. Run:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

# Python side: moto's server is the local AWS; botocore/boto3 and the aws CLI are the independent
# clients the tests compare against. Debian 12 does not package moto, so it comes from pip.
py=${PYTHON:-python3}
pyok=1
if ! "$py" -c 'import moto, flask, werkzeug' 2>/dev/null || ! command -v moto_server >/dev/null 2>&1; then
    echo "setup: moto's server (moto[server]) is missing. Install it with:" >&2
    echo "  $py -m pip install 'moto[server]>=5' boto3 awscli" >&2
    pyok=0
fi
if ! "$py" -c 'import boto3, botocore' 2>/dev/null; then
    echo "setup: boto3/botocore are missing. Install them with:" >&2
    echo "  $py -m pip install boto3 botocore" >&2
    pyok=0
fi
if ! command -v aws >/dev/null 2>&1; then
    echo "setup: the aws CLI is missing. Install it with:" >&2
    echo "  $py -m pip install awscli   (or: apt-get install awscli)" >&2
    pyok=0
fi
if ! command -v cfn-lint >/dev/null 2>&1; then
    echo "setup: cfn-lint (checks the CloudFormation template in deploy/) is missing. Install it with:" >&2
    echo "  $py -m pip install cfn-lint" >&2
    pyok=0
fi
[ "$pyok" = 1 ] || exit 1
say "all dependencies present"
exit 0
