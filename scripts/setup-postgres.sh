#!/usr/bin/env bash
# PostgreSQL for `make test-pg`: start the local cluster if it is down, then create the role
# `cmer` (password cmer, CREATEDB so pytest-django can create test_cmer) and the database `cmer`.
# Idempotent: safe to run on every CI run. Uses the `postgres` superuser over 127.0.0.1 (trust
# authentication on the CI machine).
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)

if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
  echo "postgresql: starting cluster $PG_VERSION/$PG_CLUSTER"
  pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p 5432

if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'cmer'")" != "1" ]; then
  echo "postgresql: creating role cmer"
  "${PSQL[@]}" -c "CREATE ROLE cmer LOGIN PASSWORD 'cmer' CREATEDB"
else
  "${PSQL[@]}" -c "ALTER ROLE cmer LOGIN CREATEDB"
fi
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'cmer'")" != "1" ]; then
  echo "postgresql: creating database cmer"
  "${PSQL[@]}" -c "CREATE DATABASE cmer OWNER cmer"
fi
echo "postgresql: ready (postgres://cmer:***@127.0.0.1:5432/cmer)"
