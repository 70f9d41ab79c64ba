#!/usr/bin/env bash
# Syntax checks of deploy/: the systemd units (systemd-analyze verify) and the nginx site (nginx -t
# inside a throw-away configuration with a self-signed certificate). A few seconds; run by
# `make lint`. The units name /srv/cmer/app (the documented install path): they are verified as
# installed for this checkout, the path replaced by the repository's, so that every ExecStart
# binary really exists.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- systemd units ---------------------------------------------------------------------------
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "check-deploy: systemd-analyze missing (scripts/install-system-deps.sh installs systemd)" >&2
  exit 1
fi
[ -x "$ROOT/.venv/bin/gunicorn" ] || { echo "check-deploy: .venv missing (make venv)" >&2; exit 1; }
mkdir -p "$WORK/units"
for unit in deploy/systemd/*; do
  sed "s#/srv/cmer/app#$ROOT#g" "$unit" >"$WORK/units/$(basename "$unit")"
done
# systemd-analyze prints warnings and still exits 0: any output line about our units fails too.
if ! out=$(cd "$WORK/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./*.service ./*.timer 2>&1); then
  echo "$out" >&2
  echo "check-deploy: systemd-analyze verify failed" >&2
  exit 1
fi
if echo "$out" | grep -q "cmer-"; then
  echo "$out" >&2
  echo "check-deploy: systemd-analyze verify reported problems in deploy/systemd" >&2
  exit 1
fi
echo "check-deploy: $(ls deploy/systemd | wc -l) systemd units verify"

# --- nginx site ------------------------------------------------------------------------------
if ! command -v nginx >/dev/null 2>&1; then
  echo "check-deploy: nginx missing (scripts/install-system-deps.sh installs nginx-light)" >&2
  exit 1
fi
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=cmer.a-renseigner.invalid" \
  -keyout "$WORK/privkey.pem" -out "$WORK/fullchain.pem" >/dev/null 2>&1
sed -e "s#/etc/ssl/cmer/#$WORK/#g" deploy/nginx/cmer.conf >"$WORK/site.conf"
cat >"$WORK/nginx.conf" <<CONF
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events {}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $WORK/body;
    proxy_temp_path $WORK/proxy;
    fastcgi_temp_path $WORK/fastcgi;
    uwsgi_temp_path $WORK/uwsgi;
    scgi_temp_path $WORK/scgi;
    include $WORK/site.conf;
}
CONF
if ! out=$(nginx -t -q -p "$WORK" -e "$WORK/error.log" -c "$WORK/nginx.conf" 2>&1) || [ -n "$out" ]; then
  echo "$out" >&2
  echo "check-deploy: nginx -t failed on deploy/nginx/cmer.conf" >&2
  exit 1
fi
echo "check-deploy: nginx site passes nginx -t"
