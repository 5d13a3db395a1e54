#!/bin/bash
# t0301: what the Jinja engine does not support says so plainly, at the
# template's line and column, and never prints a wrong value.  Jinja2 renders
# these (Python ints are unbounded; \N{...} looks names up in Unicode's
# database), so they cannot be differential cases in t0300.
. "$(dirname "$0")/lib.sh"

# render_err NAME TEMPLATE: renders TEMPLATE from $SCRATCH/NAME.j2
render_err() {
  printf '%s' "$2" >"$SCRATCH/$1.j2"
  run_mallard jinja render "$SCRATCH/$1.j2"
}

render_err pow 'ok
{{ 2 ** 100 }}'
check "2 ** 100 fails with exit 1" rc_is 1
check "... naming file, line and column" out_has "pow.j2:2:6: not supported yet: integer result beyond 64 bits"

render_err mul '{{ 10 ** 18 * 30 }}'
check "an int product beyond 64 bits fails" out_has "mul.j2:1:13: not supported yet: integer result beyond 64 bits"

render_err lit '{% set x = 123456789012345678901234567890 %}'
check "an int literal beyond 64 bits fails" out_has "lit.j2:1:12: not supported yet: integer literal 123456789012345678901234567890 beyond 64 bits"

render_err neg '{{ -(-9223372036854775807 - 1) }}'
check "negating INT64_MIN fails" out_has "neg.j2:1:4: not supported yet: integer result beyond 64 bits"

render_err sum '{{ [9223372036854775807, 1] | sum }}'
check "sum beyond 64 bits fails" out_has "sum.j2:1:31: not supported yet: integers beyond 64 bits"

render_err conv '{{ "99999999999999999999" | int }} {{ 1e20 | int }}'
check "int() of a value beyond 64 bits fails" out_has "conv.j2:1:29: not supported yet: integers beyond 64 bits"

render_err edge '{{ 9223372036854775807 }} {{ -9223372036854775807 - 1 }} {{ 2 ** 62 - 1 + 2 ** 62 }}'
check "the 64-bit range itself works" rc_is 0
check "... and prints exactly" out_has "9223372036854775807 -9223372036854775808 9223372036854775807"

render_err uname '{{ "\N{BULLET}" }}'
check "\\N{NAME} escapes fail plainly" out_has 'uname.j2:1:4: not supported yet: \N{name} escapes in string literals'
check "... with exit 1" rc_is 1

finish
