#!/usr/bin/env bash
# System packages the tests need (Debian 12): Chromium for the browser tests (without the 100+
# recommended packages, docs/stack.md §3), WeasyPrint's libraries and a font, poppler to inspect PDFs,
# PostgreSQL for `make test-pg`, and systemd + nginx + openssl for the syntax checks of deploy/
# (scripts/check-deploy.sh: systemd-analyze verify, nginx -t; nothing is started).
# Already-installed packages are skipped, so a warm machine does not even run `apt-get update`.
set -euo pipefail

PACKAGES=(
  chromium chromium-l10n
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
  poppler-utils
  postgresql-client
  systemd nginx-light openssl
)
# Node.js for the local OpenID provider of the ProConnect tests; a machine may already have its own
# build (with npm inside it), which conflicts with Debian's npm package.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
# The server too, unless a cluster is already there (CI images often ship PostgreSQL 15).
command -v pg_ctlcluster >/dev/null 2>&1 || PACKAGES+=(postgresql)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${#PACKAGES[@]})"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "system packages: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
