#!/bin/sh
# The dashboard at thousands of schemas, in headless Chromium: sets up N tenant schemas on a throw-away
# PostgreSQL 15 cluster (every 1,000th failing), starts `serve`, opens the page and measures what a
# user feels (first render, a search keystroke, a page turn, a state toggle), then saves a screenshot.
# Not part of CI. Needs the built orchestrator jar, PostgreSQL server binaries, Node.js 20 with the e2e
# directory's playwright-core (`npm ci` there) and Chromium.
#
#   bench/dashboard/run.sh [TENANTS] [SCREENSHOT]      defaults: 5000, docs/dashboard-5000.png
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_PORT (55432), MUSTER_HTTP_PORT (18080),
# MUSTER_CHROMIUM (/usr/bin/chromium), WORK (a new temporary directory; removed at the end).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tenants=${1:-5000}
shot=${2:-$root/docs/dashboard-5000.png}
failing=$(( (tenants + 223) / 1000 ))  # tenant_NN777: V2 fails with 42P01 there
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
pg_port=${PG_PORT:-55432}
http_port=${MUSTER_HTTP_PORT:-18080}
jar=$root/orchestrator/target/muster-orchestrator.jar
work=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/muster-dashboard-bench.XXXXXX")}
[ -f "$jar" ] || { echo "build first: ./mvnw -q -pl orchestrator -am package -DskipTests" >&2; exit 2; }

serve_pid=
as_pg=
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  $as_pg "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== PostgreSQL on port $pg_port ($work/pg)"
mkdir -p "$work/pg"
if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root
  chmod 755 "$work"; chown postgres "$work/pg"; as_pg="runuser -u postgres --"
fi
$as_pg "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust >/dev/null
$as_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
  -o "-p $pg_port -k $work/pg -c fsync=off -c max_connections=50 -c listen_addresses=localhost" start >/dev/null
psql() { command psql -X -q -v ON_ERROR_STOP=1 -h localhost -p "$pg_port" -U postgres -d postgres "$@"; }

mkdir -p "$work/migrations"
cat > "$work/migrations/V1__create_accounts.sql" <<'SQL'
CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);
SQL
cat > "$work/migrations/V2__add_audit.sql" <<'SQL'
-- A broken tenant: its audit table was never created, so this fails there (42P01) and nowhere else.
DO $$
BEGIN
  IF current_schema() LIKE 'tenant\_%777' THEN
    EXECUTE 'ALTER TABLE audit_log ADD COLUMN actor text';
  END IF;
END $$;
ALTER TABLE accounts ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
SQL

echo "== $tenants tenant schemas, then migrate --all"
psql -c "DO \$\$ BEGIN FOR i IN 1..$tenants LOOP EXECUTE format('CREATE SCHEMA tenant_%s', lpad(i::text, 5, '0')); END LOOP; END \$\$;"
export MUSTER_DATABASE_URL="postgresql://postgres@localhost:$pg_port/postgres"
export MUSTER_MIGRATIONS="filesystem:$work/migrations"
export MUSTER_SCHEMAS='public,tenant_*'
export MUSTER_HTTP_PORT=$http_port
start=$(date +%s)
java -jar "$jar" migrate --all >"$work/migrate.log" 2>&1 || true  # exit 3: the broken tenants failed
tail -n 1 "$work/migrate.log"
echo "   ($(($(date +%s) - start)) s)"

echo "== serve on port $http_port"
java -jar "$jar" serve >"$work/serve.log" 2>&1 &
serve_pid=$!
i=0
until curl -fs "http://localhost:$http_port/api/v1/schemas" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 600 ] || { cat "$work/serve.log" >&2; exit 1; }
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done

if [ -n "${HOLD:-}" ]; then echo "holding: http://localhost:$http_port/ (stop this script to clean up)"; wait "$serve_pid"; fi
echo "== the page, in headless Chromium"
MUSTER_URL="http://localhost:$http_port" MUSTER_SCREENSHOT="$shot" \
  MUSTER_EXPECT_TOTAL=$((tenants + 1)) MUSTER_EXPECT_FAILED=$failing MUSTER_EXPECT_PENDING=0 \
  MUSTER_CHROMIUM=${MUSTER_CHROMIUM:-/usr/bin/chromium} \
  node "$root/orchestrator/src/test/e2e/dashboard-scale.bench.mjs"
