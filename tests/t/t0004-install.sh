#!/usr/bin/env bash
# t0004: the binary finds libduckdb.so through its $ORIGIN-relative rpath,
# both in the build tree and after `cmake --install` to a prefix that is then
# moved elsewhere.
. "$(dirname "$0")/lib.sh"

build_dir=$(cd "$MALLARD_BIN_DIR/.." && pwd)

check "the build-tree binary runs" "$MALLARD" --version
check "its rpath is \$ORIGIN-relative" \
  eval "readelf -d '$MALLARD' | grep -E 'R(UN)?PATH' | grep -qF '\$ORIGIN/../lib/mallard'"

cmake --install "$build_dir" --prefix "$SCRATCH/prefix" >/dev/null
mv "$SCRATCH/prefix" "$SCRATCH/moved"
check "an installed, relocated copy finds its libduckdb.so" \
  eval "env -u LD_LIBRARY_PATH '$SCRATCH/moved/bin/mallard' --version >/dev/null"
check "and links the bundled one, not a system one" \
  eval "ldd '$SCRATCH/moved/bin/mallard' | grep libduckdb | grep -qF '$SCRATCH/moved/bin/../lib/mallard/libduckdb.so'"

finish
