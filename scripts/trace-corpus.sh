#!/usr/bin/env bash
# trace-corpus.sh BINARY OUTDIR: writes the seeded JSON trace (and exit status)
# of every bundled, conformance and bench scenario under several seeds and
# modes (plain, random, PCT, --kill-random, --delay) into OUTDIR, one file per
# run, then a digest per run in OUTDIR/SUMS. Compare two builds with
#   scripts/trace-corpus.sh old/ipcsim /tmp/a; scripts/trace-corpus.sh new/ipcsim /tmp/b
#   diff /tmp/a/SUMS /tmp/b/SUMS
# (architecture work must leave every trace byte-identical: issue 19).
set -euo pipefail
bin=$(realpath "$1")
out=$2
seeds=${SEEDS:-10}
cd "$(dirname "$0")/.."
mkdir -p "$out"
rm -f "$out"/*.json "$out/SUMS"
files=(scenarios/*.ipc tests/benches/*.ipc)
[ -d ../shared/conformance ] && files+=(../shared/conformance/*.ipc)
run_one() {
    local f=$1 tag=$2
    shift 2
    local name
    name=$(basename "$f" .ipc).$tag
    local rc=0
    "$bin" run "$f" --trace json --max-steps 2000000 "$@" >"$out/$name.json" 2>&1 || rc=$?
    echo "exit $rc" >>"$out/$name.json"
}
n=0
for f in "${files[@]}"; do
    run_one "$f" plain
    n=$((n + 1))
    for s in $(seq 0 $((seeds - 1))); do
        run_one "$f" "r$s" --seed "$s"
        run_one "$f" "p$s" --seed "$s" --strategy pct
        run_one "$f" "k$s" --seed "$s" --kill-random
        run_one "$f" "d$s" --seed "$s" --delay 3
        n=$((n + 4))
    done
done
(cd "$out" && sha256sum -- *.json) >"$out/SUMS"
echo "$n traces in $out"
