#!/usr/bin/env bash
# test.sh: installs what is missing, then builds and runs the whole test suite in the
# release build and in the ASan+UBSan build. Usage: ./test.sh [release|asan]...
# (no argument: both). .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")"
source tools/deps.sh
toy_install_deps
presets=("$@")
((${#presets[@]})) || presets=(release asan)
export CTEST_OUTPUT_ON_FAILURE=1
status=0
for p in "${presets[@]}"; do
    echo "== $p: configure and build"
    cmake --preset "$p" >/dev/null
    cmake --build --preset "$p"
    echo "== $p: tests"
    ctest --preset "$p" -j2 || status=1
done
exit $status
