#!/usr/bin/env bash
# Wall-clock round trips of one or more builds of the `hot_loop` example, run
# in turn (A B A B ...) so that a noisy machine's slow spells fall on all of
# them: each binary runs MODE (floor, kernel, kernel-generic, kernel-log,
# runtime, runtime-log) for N round trips, ROUNDS times; the best and the
# median nanoseconds per round trip are printed. Instruction counts
# (`make bench-instr`) do not show a stall; this does. For a change against
# the build before it, build that one's example with `git worktree` and
# CARGO_TARGET_DIR.
#
#   scripts/roundtrip-ab.sh MODE [ROUNDS] BINARY...      (N from the environment, 5000000)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 1 ]]; then
    echo "usage: scripts/roundtrip-ab.sh MODE [ROUNDS] BINARY..." >&2
    exit 2
fi
mode=$1
shift
rounds=9
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
    rounds=$1
    shift
fi
if [[ $# -eq 0 ]]; then
    cargo build --release -q -p ipcsim-tests --example hot_loop
    set -- target/release/examples/hot_loop
fi
n=${N:-5000000}
# shellcheck source=scripts/lib/interleave.sh
source scripts/lib/interleave.sh
nanoseconds() {
    # hot_loop prints "MODE: N round trips, X ns each" on stderr.
    "$1" "$mode" "$n" 2>&1 >/dev/null | awk '{ print $(NF - 2) }'
}
interleave "$rounds" nanoseconds "$@" | awk -v m="$mode" '{ printf "%s %s: best %.1f ns, median %.1f ns\n", $1, m, $2, $3 }'
