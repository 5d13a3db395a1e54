#!/bin/sh
# bench/build/run.sh: the four `mallard build` figures of issue 5, each a
# ratio against a baseline measured in the same run (see README.md).
#
#   bench/build/run.sh MALLARD_BINARY [--reps N] [--only 1,2,3,4] [--wide N] [--big N] ...
#
# Use a release build (-DCMAKE_BUILD_TYPE=Release, no sanitizers) with its
# direct_sql built beside mallard (`ninja -C BUILD direct_sql`).
exec /usr/bin/python3 "$(dirname "$0")/bench_build.py" "$@"
