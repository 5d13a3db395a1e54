#!/usr/bin/env bash
# bench/serve/run.sh: pgbench with the same custom scripts against
# `mallard serve` and a throwaway PostgreSQL 15 cluster, on the same machine
# and the same data, in one run; prints transactions per second and the
# Mallard/PostgreSQL ratio for each workload:
#
#   point   primary-key lookups in a 1M-row table
#   agg     an analytical aggregate over a 10M-row table
#   insert  single-row INSERTs (autocommit)
#
#   bench/serve/run.sh MALLARD_BINARY [SECONDS] [CLIENTS]
#
# Use a release build (build/clrel).  PostgreSQL 15 comes from Debian
# (scripts/install-deps --with-bench installs it); its cluster is created in
# a temporary directory, owned by the `postgres` user when run as root, and
# removed at the end.  Both servers listen on Unix sockets only.  Targets
# (issue 7): at least 0.5x PostgreSQL on point selects, 5x on the aggregate.
set -euo pipefail
MALLARD=$(realpath "${1:?usage: run.sh MALLARD_BINARY [SECONDS] [CLIENTS]}")
SECONDS_EACH=${2:-15}
CLIENTS=${3:-4}
POINT_ROWS=${POINT_ROWS:-1000000}
AGG_ROWS=${AGG_ROWS:-10000000}
WORKLOADS=${WORKLOADS:-point,agg,insert} # a subset while iterating, e.g. WORKLOADS=point
# DuckDB's thread pool for the Mallard side (default: DuckDB's own, all cores);
# DUCKDB_THREADS=1 measures the setting that suits many small queries.
DUCKDB_THREADS=${DUCKDB_THREADS:-}
PGBIN=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL 15 is missing: run scripts/install-deps --with-bench" >&2; exit 2; }
command -v pgbench >/dev/null || { echo "pgbench is missing (postgresql-contrib)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mallard-bench-serve.XXXXXX")
chmod 755 "$WORK"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$WORK"
  as_pg=(runuser -u postgres --)
fi
PG_PORT=55433
M_SOCK=$WORK/msock
mkdir -p "$M_SOCK"
MALLARD_PID=
cleanup() {
  [ -n "$MALLARD_PID" ] && kill "$MALLARD_PID" 2>/dev/null && wait "$MALLARD_PID" 2>/dev/null
  [ -f "$WORK/pg/postmaster.pid" ] && "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "# $(date -u +%FT%TZ) $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# mallard: $("$MALLARD" --version 2>/dev/null | head -1)  postgres: $("$PGBIN/postgres" --version)"

# --- PostgreSQL: a private cluster, default settings but for the socket.
"${as_pg[@]}" "$PGBIN/initdb" -D "$WORK/pg" -A trust -U bench >/dev/null
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
  -o "-p $PG_PORT -k $WORK -c listen_addresses=''" start >/dev/null
pg() { psql -X -q -h "$WORK" -p "$PG_PORT" -U bench -d postgres -v ON_ERROR_STOP=1 "$@"; }

# --- Mallard: serving a fresh DuckDB file over its Unix socket.
"$MALLARD" serve --database "$WORK/bench.duckdb" --listen 127.0.0.1:0 --socket-dir "$M_SOCK" \
  --trust-local --max-connections 64 >"$WORK/mallard.log" 2>&1 &
MALLARD_PID=$!
for _ in $(seq 100); do grep -q 'Listening on Unix socket' "$WORK/mallard.log" && break; sleep 0.1; done
M_PORT=$(sed -n 's/.*Listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/mallard.log" | head -1)
[ -n "$M_PORT" ] || { cat "$WORK/mallard.log"; exit 1; }
ml() { psql -X -q -h "$M_SOCK" -p "$M_PORT" -U bench -d db -v ON_ERROR_STOP=1 "$@"; }

# --- The same data in both: every value is a function of the row number.
t0=$(date +%s.%N)
pg -c "CREATE TABLE accounts (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, amount NUMERIC(12,2) NOT NULL, note TEXT NOT NULL)" \
   -c "INSERT INTO accounts SELECT i, i % 1000, ((i * 7919) % 100000) / 100.0, 'note ' || i FROM generate_series(1::BIGINT, $POINT_ROWS) AS g(i)" \
   -c "CREATE TABLE facts (id BIGINT NOT NULL, grp INTEGER NOT NULL, amount NUMERIC(12,2) NOT NULL, qty INTEGER NOT NULL)" \
   -c "INSERT INTO facts SELECT i, i % 1000, ((i * 7919) % 100000) / 100.0, i % 17 FROM generate_series(1::BIGINT, $AGG_ROWS) AS g(i)" \
   -c "CREATE TABLE inserts (id BIGINT NOT NULL, v BIGINT NOT NULL)" \
   -c "VACUUM ANALYZE"
t1=$(date +%s.%N)
ml -c "CREATE TABLE accounts (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, amount DECIMAL(12,2) NOT NULL, note VARCHAR NOT NULL)" \
   -c "INSERT INTO accounts SELECT i, i % 1000, ((i * 7919) % 100000) / 100.0, 'note ' || i FROM range(1, $POINT_ROWS + 1) AS g(i)" \
   -c "CREATE TABLE facts (id BIGINT NOT NULL, grp INTEGER NOT NULL, amount DECIMAL(12,2) NOT NULL, qty INTEGER NOT NULL)" \
   -c "INSERT INTO facts SELECT i, i % 1000, ((i * 7919) % 100000) / 100.0, i % 17 FROM range(1, $AGG_ROWS + 1) AS g(i)" \
   -c "CREATE TABLE inserts (id BIGINT NOT NULL, v BIGINT NOT NULL)" \
   -c "CHECKPOINT" >/dev/null
t2=$(date +%s.%N)
printf '# load: PostgreSQL %.1f s, Mallard %.1f s\n' "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"
# The settings that decide how many cores each server gives one query.
echo "# postgres: $(pg -At -F' ' -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('max_parallel_workers_per_gather', 'max_parallel_workers', 'shared_buffers', 'work_mem', 'fsync', 'synchronous_commit')")"
[ -z "$DUCKDB_THREADS" ] || ml -c "SET threads = $DUCKDB_THREADS"
echo "# duckdb: threads=$(ml -At -c "SELECT current_setting('threads')") memory_limit=$(ml -At -c "SELECT current_setting('memory_limit')")"
sum_pg=$(pg -At -c "SELECT sum(amount), count(*) FROM facts")
sum_ml=$(ml -At -c "SELECT sum(amount), count(*) FROM facts")
[ "$sum_pg" = "$sum_ml" ] || { echo "the two databases differ: $sum_pg vs $sum_ml" >&2; exit 1; }

cat >"$WORK/point.sql" <<EOF
\set id random(1, $POINT_ROWS)
SELECT grp, amount, note FROM accounts WHERE id = :id;
EOF
cat >"$WORK/agg.sql" <<'EOF'
SELECT grp % 10 AS bucket, count(*), sum(amount), avg(qty) FROM facts GROUP BY 1 ORDER BY 1;
EOF
cat >"$WORK/insert.sql" <<'EOF'
\set id random(1, 1000000000)
INSERT INTO inserts (id, v) VALUES (:id, :id * 2);
EOF
chmod 644 "$WORK"/*.sql

# run_pgbench HOST PORT DB SCRIPT MODE: prints TPS (excluding connections).
run_pgbench() {
  local out
  out=$(timeout $((SECONDS_EACH * 4 + 60)) pgbench -n -h "$1" -p "$2" -U bench -d "$3" -f "$WORK/$4.sql" \
        -M "$5" -c "$CLIENTS" -j "$(( CLIENTS < 2 ? CLIENTS : 2 ))" -T "$SECONDS_EACH" 2>&1) ||
    { echo "pgbench failed on $1:$2 ($4, $5):" >&2; echo "$out" >&2; echo 0; return; }
  echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p'
}

printf '\n%-8s %-9s %12s %12s %8s\n' workload protocol postgres_tps mallard_tps ratio
for w in point:prepared point:simple agg:prepared insert:prepared; do
  name=${w%%:*} mode=${w#*:}
  case ",$WORKLOADS," in *",$name,"*) ;; *) continue ;; esac
  tps_pg=$(run_pgbench "$WORK" "$PG_PORT" postgres "$name" "$mode")
  tps_ml=$(run_pgbench "$M_SOCK" "$M_PORT" db "$name" "$mode")
  ratio=$(echo "$tps_pg $tps_ml" | awk '{ if ($1 > 0) printf "%.2f", $2 / $1; else print "n/a" }')
  printf '%-8s %-9s %12.1f %12.1f %8s\n' "$name" "$mode" "$tps_pg" "$tps_ml" "$ratio"
  if [ "$w" = point:prepared ]; then point_pg=$tps_pg; fi
done
# The floor: the same prepared lookup on DuckDB's C API in CLIENTS threads of
# one process, no server at all (direct_point.c), against the same
# PostgreSQL figure.  Whatever a server adds, it cannot beat this.
DIRECT_POINT=$(dirname "$MALLARD")/direct_point
if [ -n "${point_pg:-}" ] && [ -x "$DIRECT_POINT" ]; then
  tps_direct=$("$DIRECT_POINT" "$WORK/direct.duckdb" "$POINT_ROWS" "$CLIENTS" "$SECONDS_EACH" \
                 ${DUCKDB_THREADS:+"$DUCKDB_THREADS"} | sed -n 's/^tps = //p')
  ratio=$(echo "$point_pg ${tps_direct:-0}" | awk '{ if ($1 > 0) printf "%.2f", $2 / $1; else print "n/a" }')
  printf '%-8s %-9s %12.1f %12.1f %8s   (DuckDB C API, %s threads, no server)\n' point prepared \
    "$point_pg" "${tps_direct:-0}" "$ratio" "$CLIENTS"
elif [ -n "${point_pg:-}" ]; then
  echo "# (build direct_point beside $MALLARD for the DuckDB floor: ninja direct_point)"
fi
n_pg=$(pg -At -c "SELECT count(*) FROM inserts")
n_ml=$(ml -At -c "SELECT count(*) FROM inserts")
echo "# rows inserted: PostgreSQL $n_pg, Mallard $n_ml"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
