#!/usr/bin/env bash
# t0001: the command line itself -- version, help, dispatch and usage errors.
. "$(dirname "$0")/lib.sh"

run_mallard --version
check "--version prints the version" eval 'rc_is 0 && grep -qE "^mallard [0-9]+\.[0-9]+\.[0-9]+$" "$SCRATCH/out"'

run_mallard --help
check "--help lists the commands" eval 'rc_is 0 && out_has "Commands:" && out_has "help"'

run_mallard help help
check "help COMMAND shows its usage and the global flags" \
  eval 'rc_is 0 && out_has "usage: mallard help" && out_has "--project-dir DIR" && out_has "MALLARD_TARGET"'

run_mallard
check "no command is a usage error (exit 2)" eval 'rc_is 2 && out_has "usage: mallard"'

run_mallard frobnicate
check "an unknown command is named (exit 2)" \
  eval "rc_is 2 && out_has \"'frobnicate' is not a mallard command\""

run_mallard help --bogus
check "an unknown option is named with a hint (exit 2)" \
  eval "rc_is 2 && out_has \"unknown option '--bogus'\" && out_has \"mallard help help\""

run_mallard help --log-level loud
check "a bad --log-level is refused (exit 2)" eval "rc_is 2 && out_has \"unknown log level 'loud'\""

run_mallard help --lock-timeout soon
check "a bad --lock-timeout is refused (exit 2)" eval "rc_is 2 && out_has \"'soon' is not a valid number\""

run_mallard help frobnicate
check "help on an unknown command fails (exit 2)" eval 'rc_is 2'

finish
