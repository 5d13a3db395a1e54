# route-lib.sh: a small dbt project of our own for the t07NN-route tests.
# make_route_project DIR writes it: a seed, two models (one greets with
# env_var('GREETING') and env_var('CLIENT_TAG')), a slow model that only
# runs with --vars '{slow_n: N}', and a singular test that fails when
# MAX_ID is set below 3.  The profile's path is shop.duckdb in DIR.
make_route_project() {
  local d=$1
  mkdir -p "$d/models" "$d/seeds" "$d/tests"
  printf 'name: shop\nprofile: shop\n' >"$d/dbt_project.yml"
  cat >"$d/profiles.yml" <<'YML'
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: shop.duckdb
      threads: 2
YML
  printf 'id,name\n1,ann\n2,bob\n3,cy\n' >"$d/seeds/people.csv"
  printf "{{ config(materialized='table') }}\nselect id, upper(name) as name from {{ ref('people') }}\n" \
    >"$d/models/people_up.sql"
  printf "{{ config(materialized='table') }}\nselect '{{ env_var(\"GREETING\", \"none\") }}' as greeting, '{{ env_var(\"CLIENT_TAG\", \"none\") }}' as tag\n" \
    >"$d/models/greeting.sql"
  printf "{{ config(materialized='table', enabled=var('slow_n', 0) > 0) }}\nselect sum(a.range * b.range) as s from range({{ var('slow_n', 1) }}) a, range({{ var('slow_n', 1) }}) b\n" \
    >"$d/models/slow.sql"
  printf "select * from {{ ref('people_up') }} where id > {{ env_var('MAX_ID', '100') }}\n" \
    >"$d/tests/ids_in_range.sql"
}

# The scheduler a test runs in the background is SCHED_PID.  stop_sched sends
# it SIGTERM and keeps its exit status in SCHED_RC; a test calls it from its
# EXIT trap (after stopping its own helpers, if it has any).
SCHED_PID=
stop_sched() {
  if [ -n "$SCHED_PID" ]; then
    kill -TERM "$SCHED_PID" 2>/dev/null
    wait "$SCHED_PID" 2>/dev/null
    SCHED_RC=$?
    SCHED_PID=
  fi
}
# wait_advertised DB: waits up to 60 s until DB.mallard names SCHED_PID as
# the owner; false if it never does (the test's own check then says so).
wait_advertised() {
  for _ in $(seq 600); do
    grep -qs "\"pid\": $SCHED_PID," "$1.mallard" && return 0
    sleep 0.1
  done
  return 1
}
