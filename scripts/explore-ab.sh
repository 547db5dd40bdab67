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
declare -A times
for _ in $(seq "$rounds"); do
    for b in "$@"; do
        start=$(date +%s%N)
        "$b" explore tests/benches/lock_order_4x40.ipc --runs "$runs" --jobs 1 >/dev/null 2>&1
        end=$(date +%s%N)
        times[$b]="${times[$b]:-} $((end - start))"
    done
done
for b in "$@"; do
    # shellcheck disable=SC2086
    printf '%s\n' ${times[$b]} | sort -n | awk -v b="$b" -v runs="$runs" '
        { t[NR] = $1 }
        END {
            best = t[1] / 1e9; med = t[int((NR + 1) / 2)] / 1e9
            printf "%s: best %.3f s (%.1fk runs/s), median %.3f s (%.1fk runs/s)\n", b, best, runs / best / 1000, med, runs / med / 1000
        }'
done
