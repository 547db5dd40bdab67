#!/usr/bin/env bash
# Wall-clock explored runs per second of one or more `ipcsim` binaries, run in
# turn (A B A B ...) so that a noisy machine's slow spells fall on all of them:
# each binary explores tests/benches/lock_order_4x40.ipc (the explore bench's
# scenario) for RUNS schedules on one thread, ROUNDS times; the best and the
# median of its rounds are printed. For comparing a change with the build
# before it (build that one with `git worktree` and CARGO_TARGET_DIR).
#
#   scripts/explore-ab.sh [ROUNDS] BINARY...        (RUNS from the environment, 40000)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=7
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
    rounds=$1
    shift
fi
if [[ $# -eq 0 ]]; then
    cargo build --release -q
    set -- target/release/ipcsim
fi
runs=${RUNS:-40000}
# shellcheck source=scripts/lib/interleave.sh
source scripts/lib/interleave.sh
elapsed_ns() {
    local start end
    start=$(date +%s%N)
    "$1" explore tests/benches/lock_order_4x40.ipc --runs "$runs" --jobs 1 >/dev/null 2>&1
    end=$(date +%s%N)
    echo $((end - start))
}
interleave "$rounds" elapsed_ns "$@" | awk -v runs="$runs" '{
    best = $2 / 1e9; med = $3 / 1e9
    printf "%s: best %.3f s (%.1fk runs/s), median %.3f s (%.1fk runs/s)\n", $1, best, runs / best / 1000, med, runs / med / 1000
}'
