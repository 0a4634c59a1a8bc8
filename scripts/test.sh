#!/usr/bin/env bash
# The README's test command: everything the tests need that a fresh machine of this kind lacks, then all the tests.
# The browser tests drive Debian's chromium (never a downloaded browser); installed here when missing and root.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "scripts/test.sh: installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "scripts/test.sh: the browser tests need Debian's chromium: run 'sudo apt-get install -y chromium' first" >&2
    exit 1
  fi
fi
command -v npm >/dev/null || { echo "scripts/test.sh: the front-end build needs Node.js and npm: install them (Debian: apt-get install -y nodejs npm)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet test Mediation.sln "$@"
