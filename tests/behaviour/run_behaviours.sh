#!/usr/bin/env bash
# Behaviour runner for Toy: runs the scripts that show the documented behaviours
# (scripts/b*.toy and scripts/showcase.toy, see /work/shared/BEHAVIOURS.md) and checks
# their verdicts.
#
# Usage: tests/behaviour/run_behaviours.sh <path-to-toy> [filter...]
#
# A filter is a substring of the script's file name (e.g. `b08` or `showcase`); with
# several filters a script runs if any matches. Each script runs from the repository root
# as `toy scripts/<name>.toy`, stdin from /dev/null, with a timeout of 120 s
# (TOY_BEHAVIOUR_TIMEOUT overrides it). It passes when it exits 0 and the last non-empty
# line of its stdout starts with `OK:`. A failing script's stdout and stderr are printed.
# With TOY_BEHAVIOUR_ANY_VERDICT=1 (sanitizer builds, whose instrumentation distorts the
# timings the verdicts rest on) a last line starting with `UNEXPECTED:` passes too: the
# script must still run to its verdict and exit 0, with no sanitizer report.
# The runner ends with the line `N passed, M failed` and exits 1 if M > 0.

set -u
if (($# < 1)); then
    echo "usage: $0 <path-to-toy> [filter...]" >&2
    exit 2
fi
toy="$1"
shift
[[ "$toy" == /* ]] || toy="$PWD/$toy"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
limit="${TOY_BEHAVIOUR_TIMEOUT:-120}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
for script in "$root"/scripts/b*.toy "$root"/scripts/showcase.toy; do
    [[ -f "$script" ]] || continue
    name="$(basename "$script" .toy)"
    if (($#)); then
        match=0
        for f in "$@"; do [[ "$name" == *"$f"* ]] && match=1; done
        ((match)) || continue
    fi
    start=$(date +%s.%N)
    (cd "$root" && timeout -k 5 "$limit" "$toy" "scripts/$name.toy" \
        < /dev/null > "$tmp/out" 2> "$tmp/err")
    code=$?
    secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    last="$(grep -v '^[[:space:]]*$' "$tmp/out" | tail -n 1)"
    if ((code == 0)) && [[ "$last" == OK:* ]]; then
        passed=$((passed + 1))
        echo "PASS $name (${secs} s): $last"
    elif ((code == 0)) && [[ "${TOY_BEHAVIOUR_ANY_VERDICT:-0}" == 1 && "$last" == UNEXPECTED:* ]]; then
        passed=$((passed + 1))
        echo "PASS $name (${secs} s, verdict not checked): $last"
    else
        failed=$((failed + 1))
        if ((code == 124 || code == 137)); then
            why="timed out after $limit s"
        elif ((code != 0)); then
            why="exit status $code"
        else
            why="verdict is not OK"
        fi
        echo "FAIL $name (${secs} s): $why"
        echo "---- stdout of $name"
        cat "$tmp/out"
        echo "---- stderr of $name"
        cat "$tmp/err"
        echo "----"
    fi
done
echo "$passed passed, $failed failed"
((failed == 0))
