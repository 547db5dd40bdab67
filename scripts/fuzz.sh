#!/usr/bin/env bash
# fuzz.sh [SECONDS] [TARGET...]: coverage-guided fuzzing with cargo fuzz
# (libFuzzer, nightly), each target for SECONDS (default 60; FUZZ_SECONDS
# too), on a corpus seeded from the bundled scenarios, the golden traces and
# the conformance suite (fuzz/corpus/TARGET, kept between runs, not committed).
# A crash is saved by libFuzzer under fuzz/artifacts/TARGET/: shrink it
# (cargo +nightly fuzz tmin TARGET FILE), add it to fuzz/regressions/TARGET/
# under a name that says what broke, and fix the bug: `cargo test -p
# ipcsim-fuzz` replays every file there on stable.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${FUZZ_SECONDS:-60}}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scenario kernel_calls schedule cli_args)
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz)" >&2
    exit 2
fi
# The release profile's whole-program LTO makes every rebuild minutes long;
# fuzzing needs speed per input, not the last 10%.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
seed() {
    local t=$1 dir=fuzz/corpus/$1
    mkdir -p "$dir"
    case $t in
        scenario)
            cp scenarios/*.ipc tests/golden/*.txt "$dir"/
            [ -d ../shared/conformance ] && cp ../shared/conformance/*.ipc "$dir"/ ;;
        schedule)
            printf '\001v1:f69df0c8f18dfc26:0,1' >"$dir/lock_order"
            printf '\023v1:5637a5364c48205a:3,8,0,2,z3,1,0,1,0,1' >"$dir/kill_lost_replies"
            printf '\000v1:1752b54bb5487f4c:z3,1' >"$dir/race_order" ;;
        cli_args)
            printf 'run\000x.ipc\000--seed\0007' >"$dir/run_seed"
            printf 'explore\000x.ipc\000--strategy\000dfs' >"$dir/explore_dfs"
            printf 'explore\000x.ipc\000--kill-random\000--fault-steps\0005' >"$dir/explore_kill"
            printf 'run\000x.ipc\000--trace\000json\000--mermaid\000o\000--chrome\000o' >"$dir/views"
            printf 'check\000x.ipc\000bad.ipc' >"$dir/check" ;;
        kernel_calls)
            head -c 512 /dev/zero >"$dir/zeros"
            printf '\001\001\003\002\377\377\377\377' >"$dir/few"
            # `H`: two hosts, sockets among the calls.
            printf 'H\001\001\001\003\002\042\000\043\001' >"$dir/hosts" ;;
    esac
    find "fuzz/regressions/$t" -type f ! -name README -exec cp {} "$dir"/ \; 2>/dev/null || true
}
for t in "${targets[@]}"; do
    seed "$t"
    echo "== fuzzing $t for ${secs}s"
    cargo +nightly fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=4096 -timeout=20 -close_fd_mask=1 -print_final_stats=1
done
