#!/bin/bash
# t0300: the Jinja differential suite.  Every template in tests/jinja/cases/
# is rendered by `mallard jinja render` and by python3-jinja2 (the oracle);
# tests/jinja/compare.py compares the bytes.  Set T0300_ARGS (e.g. "-k filter_")
# to run a subset by hand.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
COMPARE="$MALLARD_SOURCE_DIR/tests/jinja/compare.py"
check "python3-jinja2 is installed" "$PY" -c "import jinja2"
# --locations: where both error, mallard's message must also name the file
# and line jinja2's does (one pass: ~600 ASan processes are slow enough).
check "every case renders as in jinja2, or fails at the same place" \
  "$PY" "$COMPARE" --mallard "$MALLARD" --locations ${T0300_ARGS:-}
finish
