#!/usr/bin/env bash
# test.sh: installs what is missing, then builds and runs the whole test suite in the
# release build and in the ASan+UBSan build, then the threading tests (GIL and thread unit
# tests, threading conformance, behaviour scripts) in the ThreadSanitizer build.
# Usage: ./test.sh [release|asan|tsan]... (no argument: all three). .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")"
source tools/deps.sh
toy_install_deps
presets=("$@")
((${#presets[@]})) || presets=(release asan tsan)
export CTEST_OUTPUT_ON_FAILURE=1
status=0
# The tsan run builds only what the threading tests need and runs only them (a third full
# build and suite would not fit CI's time budget); any ThreadSanitizer report fails it.
tsan_tests='^(Gil\.|Thread[./]|Fork\.|Multiprocessing|conformance\.(threading|os_process|multiprocessing|concurrent)$|behaviour\.)'
for p in "${presets[@]}"; do
    echo "== $p: configure and build"
    cmake --preset "$p" >/dev/null
    if [[ "$p" == tsan ]]; then
        cmake --build --preset "$p" --target toy toy_unit_tests
        echo "== $p: threading tests"
        # die_after_fork=0: the fork tests' children of threaded parents go on running Toy
        # code (the runtime makes itself whole in the child: runtime/fork.cpp).
        TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 die_after_fork=0 ${TSAN_OPTIONS:-}" \
            ctest --preset "$p" -j2 -R "$tsan_tests" || status=1
    else
        cmake --build --preset "$p"
        echo "== $p: tests"
        ctest --preset "$p" -j2 || status=1
    fi
done
exit $status
