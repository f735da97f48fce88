#!/usr/bin/env bash
# Regenerate the expected outputs of the conformance scripts with CPython 3.11.
#
# Usage: tests/conformance/regen.sh [filter...]   (filter: substring of the relative path)
#
# For every test script <area>/<name>.toy (not mod_*.toy, which are helper modules) this runs
# `python3 -B <name>.toy [args from <name>.args]` in the script's folder, stdin from
# <name>.stdin or /dev/null, and writes:
#   <name>.out   stdout, exactly
#   <name>.err   stderr normalised as tests/run_conformance.sh describes (only if non-empty)
#   <name>.code  the exit status (only if non-zero)
# CPython imports only .py files, so while a folder is processed every helper module
# mod_*.toy there gets a temporary mod_*.py copy (removed afterwards); tracebacks naming
# them are rewritten back to .toy. Directories named *_pending are generated too (they are
# only skipped by the runner). Only this script needs python3; the test suite does not.

set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-python3}"
"$py" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' || exit 2

normalise_err() {
    local last
    last="$(grep -v '^[[:space:]]*$' "$1" | tail -n 1)"
    if [[ "$last" =~ ^(SyntaxError|IndentationError|TabError): ]]; then
        sed -E 's#File "([^"]*/)?([^"/]*)"#File "\2"#; s#/[^ "'"'"']*/([^/ "'"'"']+\.toy)#\1#g; s#File "(mod_[^"]*)\.py"#File "\1.toy"#' "$1"
    else
        sed -E 's#File "([^"]*/)?([^"/]*)"#File "\2"#; s#/[^ "'"'"']*/([^/ "'"'"']+\.toy)#\1#g; s#File "(mod_[^"]*)\.py"#File "\1.toy"#' "$1" |
            grep -v -E '^ *[~^][ ~^]*$'
    fi
    return 0
}

n=0
while IFS= read -r script; do
    rel="${script#"$here"/}"
    if (($#)); then
        match=0
        for f in "$@"; do [[ "$rel" == *"$f"* ]] && match=1; done
        ((match)) || continue
    fi
    dir="$(dirname "$script")"
    base="$(basename "$script" .toy)"
    stem="$dir/$base"
    made=()
    for m in "$dir"/mod_*.toy; do
        [[ -e "$m" ]] || continue
        cp "$m" "${m%.toy}.py"
        made+=("${m%.toy}.py")
    done
    # <name>.env: KEY=VALUE lines; TOYPATH=dir becomes PYTHONPATH=dir (with .py copies of
    # the mod_*.toy helpers in that dir).
    envs=()
    if [[ -f "$stem.env" ]]; then
        while IFS= read -r kv; do
            [[ -n "$kv" ]] || continue
            if [[ "$kv" == TOYPATH=* ]]; then
                tp="${kv#TOYPATH=}"
                envs+=("PYTHONPATH=$tp")
                for m in "$dir/$tp"/mod_*.toy; do
                    [[ -e "$m" ]] || continue
                    cp "$m" "${m%.toy}.py"
                    made+=("${m%.toy}.py")
                done
            else
                envs+=("$kv")
            fi
        done < "$stem.env"
    fi
    args=()
    if [[ -f "$stem.args" ]]; then read -r -a args < "$stem.args"; fi
    cmdline=("$base.toy" "${args[@]}")
    if [[ -f "$stem.cli" ]]; then mapfile -t cmdline < "$stem.cli"; fi
    stdin_file=/dev/null
    [[ -f "$stem.stdin" ]] && stdin_file="$stem.stdin"
    (cd "$dir" && env "${envs[@]}" PYTHONHASHSEED=0 timeout 10 "$py" -B "${cmdline[@]}" \
        < "$stdin_file" > "$stem.out" 2> "$stem.err.raw")
    code=$?
    # Determinism check: a second run with another hash seed must print the same stdout.
    (cd "$dir" && env "${envs[@]}" PYTHONHASHSEED=4242 timeout 10 "$py" -B "${cmdline[@]}" \
        < "$stdin_file" > "$stem.out.check" 2> /dev/null)
    cmp -s "$stem.out" "$stem.out.check" || echo "regen: WARNING $rel is not deterministic" >&2
    rm -f "$stem.out.check"
    rm -f "${made[@]}" "$dir"/tmp_"$base"*
    rm -rf "$dir/__pycache__" "$dir"/*/__pycache__
    normalise_err "$stem.err.raw" > "$stem.err"
    rm -f "$stem.err.raw"
    [[ -s "$stem.err" ]] || rm -f "$stem.err"
    if ((code != 0)); then echo "$code" > "$stem.code"; else rm -f "$stem.code"; fi
    if ((code == 0)) && [[ -f "$stem.err" ]]; then
        echo "regen: note: $rel exited 0 but wrote to stderr (warning?)" >&2
    fi
    if ((code == 124)); then echo "regen: $rel timed out" >&2; fi
    n=$((n + 1))
done < <(find "$here" -name '*.toy' ! -name 'mod_*' | LC_ALL=C sort)
echo "regenerated $n scripts"
