#!/bin/bash
# t0300: the Jinja differential suite.  Every template in tests/jinja/cases/
# is rendered by `mallard jinja render` and by python3-jinja2 (the oracle);
# tests/jinja/compare.py compares the bytes.  Set T0300_ARGS (e.g. "-k filter_")
# to run a subset by hand.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
check "python3-jinja2 is installed" "$PY" -c "import jinja2"
check "every case renders (or fails) in both as in jinja2" \
  "$PY" "$MALLARD_SOURCE_DIR/tests/jinja/compare.py" --mallard "$MALLARD" ${T0300_ARGS:-}
finish
