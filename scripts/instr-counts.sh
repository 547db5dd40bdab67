#!/usr/bin/env bash
# Deterministic cost figures: instructions per round trip (the hot loops of
# `make bench`'s roundtrip group) and per explored run (its explore group),
# counted by valgrind's callgrind. Unlike the criterion timings they do not
# move with the machine's load, so a change can be judged on a noisy machine.
# Not part of `make test`; run it with `make bench-instr`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind
fi
cargo build --release -q -p ipcsim-tests --example hot_loop
cargo build --release -q
# Total instructions of a command, as callgrind counts them.
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        awk '/refs:/ { gsub(",", "", $4); print $4 }'
}
n=200000
for mode in floor kernel kernel-generic kernel-log runtime runtime-log; do
    total=$(count target/release/examples/hot_loop "$mode" "$n")
    echo "round trip, $mode: $((total / n)) instructions"
done
runs=2000
total=$(count target/release/ipcsim explore tests/benches/lock_order_4x40.ipc --runs "$runs" --jobs 1)
echo "explored run, lock_order_4x40 (random strategy): $((total / runs)) instructions"
