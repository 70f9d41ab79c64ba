#!/usr/bin/env bash
# Installs the local OpenID provider of the ProConnect tests (tests/oidc) from its lock file.
# Idempotent and quiet: does nothing when node_modules already matches package-lock.json.
# Called by the test fixture (tests/oidc_provider.py) on first use, and by CI before the suites.
set -euo pipefail
cd "$(dirname "$0")/../tests/oidc"
marker=node_modules/.cmer-installed
if [ -f "$marker" ] && [ "$marker" -nt package-lock.json ]; then
  exit 0
fi
npm ci --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error
touch "$marker"
