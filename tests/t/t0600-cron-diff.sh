#!/bin/bash
# t0600: the scheduler's cron, time-zone and data-interval arithmetic agrees
# with croniter and Airflow 2 on thousands of seeded random expressions, in
# UTC, America/New_York and Australia/Sydney across DST changes
# (tests/sched/cron_diff.py; about 8 s of CPU, longer on a loaded machine).
. "$(dirname "$0")/lib.sh"

if ! /usr/bin/python3 -c 'import croniter' 2>/dev/null; then
  echo "skipped: /usr/bin/python3 has no croniter (apt-get install python3-croniter)"
  finish
fi

cron_diff() {
  timeout 540 /usr/bin/python3 "$MALLARD_SOURCE_DIR/tests/sched/cron_diff.py" \
    "$MALLARD_BIN_DIR/cron_next" --count 2000 --seed "$1" >"$SCRATCH/diff.$1" 2>&1
  local status=$?
  tail -n 20 "$SCRATCH/diff.$1"
  return $status
}

check "cron arithmetic matches croniter/Airflow (seed 20250101)" cron_diff 20250101
finish
