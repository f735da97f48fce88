#!/usr/bin/env bash
# Conformance runner for Toy.
#
# Usage: tests/run_conformance.sh [--list-failing] [--keep-going-quiet] <path-to-toy> [filter...]
#
# Every tests/conformance/<area>/<name>.toy that has a <name>.out beside it is a test.
# Files whose name starts with `mod_` are helper modules (imported by tests), never tests.
# Directories whose name ends in `_pending` (e.g. bigint_pending/) are not run.
# A filter is a substring of the script's path relative to tests/conformance
# (e.g. `classes/` or `generators/send`); with several filters a script runs if any matches.
#
# Each script runs as `toy <name>.toy [args from <name>.args]` with:
#   - cwd = the script's folder,
#   - if <name>.cli exists, its lines (one argument a line) replace `<name>.toy [args]`: this
#     tests the command line itself (`-c CODE`, `-` with the program on stdin, ...),
#   - extra environment variables from <name>.env if present (one KEY=VALUE a line; used for
#     TOYPATH, which regen.sh maps to PYTHONPATH for CPython),
#   - stdin from <name>.stdin if present, else /dev/null,
#   - a timeout of 10 s (TOY_CONFORMANCE_TIMEOUT overrides it).
# It passes when all three match:
#   - stdout equals <name>.out exactly (byte for byte);
#   - exit status equals the number in <name>.code (0 when there is no .code file);
#   - stderr, normalised (below), equals <name>.err (empty when there is no .err file).
#
# Normalisation of stderr (applied to the actual stderr here; the committed .err files were
# produced by CPython 3.11 and normalised the same way by tests/conformance/regen.sh):
#   1. Paths in `File "..."` are replaced by their basename:
#      `  File "/abs/dir/x.toy", line 3, in f`  ->  `  File "x.toy", line 3, in f`;
#      any other absolute path to a .toy file (e.g. inside a message) is reduced likewise.
#   2. Unless the last line of the stderr starts with `SyntaxError:`, `IndentationError:`
#      or `TabError:`, lines consisting only of spaces, `^` and `~` (with at least one `^` or
#      `~`) are dropped: these are CPython 3.11's column markers under traceback source lines,
#      which Toy need not reproduce. For syntax errors the caret line is kept: Toy must put
#      the caret in the same column as CPython.
# The expected outputs (.out/.err/.code) were produced by running python3 3.11 on the same
# file (tests/conformance/regen.sh); never edit them by hand. This runner does not need python3.
#
# On a mismatch the runner prints a unified diff (expected vs actual) naming the script.
# It ends with the line `N passed, M failed` and exits 1 if M > 0.
# --list-failing: print only the relative paths of failing scripts (one a line), then the
# summary line; no diffs.

set -u

list_failing=0
toy=""
filters=()
for arg in "$@"; do
    case "$arg" in
        --list-failing) list_failing=1 ;;
        -h|--help)
            sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'
            exit 0 ;;
        *)
            if [[ -z "$toy" ]]; then toy="$arg"; else filters+=("$arg"); fi ;;
    esac
done

if [[ -z "$toy" ]]; then
    echo "usage: $0 [--list-failing] <path-to-toy> [filter...]" >&2
    exit 2
fi
# Make the toy path absolute: each script runs in its own folder.
if [[ "$toy" != /* ]]; then
    if [[ "$toy" == */* ]]; then toy="$(cd "$(dirname "$toy")" && pwd)/$(basename "$toy")"
    else toy="$(command -v "$toy" || echo "$toy")"; fi
fi
if [[ ! -x "$toy" ]]; then
    echo "run_conformance: toy binary not found or not executable: $toy" >&2
    exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/conformance"
timeout_s="${TOY_CONFORMANCE_TIMEOUT:-10}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/toy_conf.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# normalise_err FILE: write the normalised stderr of FILE to stdout.
normalise_err() {
    local last
    last="$(grep -v '^[[:space:]]*$' "$1" | tail -n 1)"
    if [[ "$last" =~ ^(SyntaxError|IndentationError|TabError): ]]; then
        sed -E 's#File "([^"]*/)?([^"/]*)"#File "\2"#; s#/[^ "'"'"']*/([^/ "'"'"']+\.toy)#\1#g' "$1"
    else
        sed -E 's#File "([^"]*/)?([^"/]*)"#File "\2"#; s#/[^ "'"'"']*/([^/ "'"'"']+\.toy)#\1#g' "$1" | grep -v -E '^ *[~^][ ~^]*$'
    fi
    return 0
}

passed=0
failed=0
failing=()

while IFS= read -r script; do
    rel="${script#"$root"/}"
    if ((${#filters[@]})); then
        match=0
        for f in "${filters[@]}"; do [[ "$rel" == *"$f"* ]] && match=1; done
        ((match)) || continue
    fi
    dir="$(dirname "$script")"
    base="$(basename "$script" .toy)"
    stem="$dir/$base"
    if [[ ! -f "$stem.out" ]]; then
        echo "run_conformance: skipping $rel: no $base.out (run tests/conformance/regen.sh)" >&2
        continue
    fi

    stdin_file=/dev/null
    [[ -f "$stem.stdin" ]] && stdin_file="$stem.stdin"
    args=()
    if [[ -f "$stem.args" ]]; then read -r -a args < "$stem.args"; fi
    envs=()
    if [[ -f "$stem.env" ]]; then mapfile -t envs < "$stem.env"; fi
    cmdline=("$base.toy" "${args[@]}")
    if [[ -f "$stem.cli" ]]; then mapfile -t cmdline < "$stem.cli"; fi

    # (the braces keep bash's "Segmentation fault" job notice out of the report)
    { (cd "$dir" && exec env "${envs[@]}" timeout -k 2 "$timeout_s" "$toy" "${cmdline[@]}" \
        < "$stdin_file" > "$tmp/stdout" 2> "$tmp/stderr_raw"); } 2> /dev/null
    code=$?
    rm -f "$dir"/tmp_"$base"* 2>/dev/null

    expected_code=0
    [[ -f "$stem.code" ]] && expected_code="$(tr -d '[:space:]' < "$stem.code")"
    normalise_err "$tmp/stderr_raw" > "$tmp/stderr"
    if [[ -f "$stem.err" ]]; then cp "$stem.err" "$tmp/expected_err"; else : > "$tmp/expected_err"; fi

    ok=1
    cmp -s "$stem.out" "$tmp/stdout" || ok=0
    cmp -s "$tmp/expected_err" "$tmp/stderr" || ok=0
    [[ "$code" == "$expected_code" ]] || ok=0

    if ((ok)); then
        passed=$((passed + 1))
        continue
    fi
    failed=$((failed + 1))
    failing+=("$rel")
    if ((list_failing)); then
        echo "$rel"
        continue
    fi
    echo "FAIL: $rel"
    if [[ "$code" == 124 || "$code" == 137 ]]; then echo "  (timed out after ${timeout_s}s)"; fi
    if [[ "$code" == 139 ]]; then echo "  (crashed: SIGSEGV)"; fi
    if [[ "$code" == 134 ]]; then echo "  (crashed: SIGABRT, assertion?)"; fi
    if [[ "$code" != "$expected_code" ]]; then
        echo "  exit status: expected $expected_code, got $code"
    fi
    if ! cmp -s "$stem.out" "$tmp/stdout"; then
        diff -u --label "$rel: expected stdout" --label "$rel: actual stdout" \
            "$stem.out" "$tmp/stdout" | head -n 200
    fi
    if ! cmp -s "$tmp/expected_err" "$tmp/stderr"; then
        diff -u --label "$rel: expected stderr (normalised)" \
            --label "$rel: actual stderr (normalised)" \
            "$tmp/expected_err" "$tmp/stderr" | head -n 200
    fi
    echo
done < <(find "$root" -name '*.toy' ! -name 'mod_*' ! -path '*_pending/*' | LC_ALL=C sort)

echo "$passed passed, $failed failed"
((failed == 0))
