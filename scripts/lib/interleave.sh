# Shared by scripts/explore-ab.sh and scripts/roundtrip-ab.sh (sourced, not run).
#
# interleave ROUNDS MEASURE BINARY...
#   Runs `MEASURE BINARY` (a function printing one number, lower is better)
#   for each binary in turn (A B A B ...), ROUNDS times, so that a noisy
#   machine's slow spells fall on all of them; then prints, for each binary,
#   one line: BINARY BEST MEDIAN.
interleave() {
    local rounds=$1 measure=$2
    shift 2
    local -A got
    local b
    for _ in $(seq "$rounds"); do
        for b in "$@"; do
            got[$b]="${got[$b]:-} $("$measure" "$b")"
        done
    done
    for b in "$@"; do
        # shellcheck disable=SC2086
        printf '%s\n' ${got[$b]} | sort -g | awk -v b="$b" '
            { t[NR] = $1 }
            END { print b, t[1], t[int((NR + 1) / 2)] }'
    done
}
