#!/usr/bin/env bash
# setup.sh: on a fresh Debian 12 machine, installs what is missing, builds Toy (release),
# and runs the showcase script. Usage: ./setup.sh
set -euo pipefail
cd "$(dirname "$0")"
source tools/deps.sh
toy_install_deps
cmake --preset release >/dev/null
cmake --build --preset release
echo
echo "== build/release/toy scripts/showcase.toy"
./build/release/toy scripts/showcase.toy
