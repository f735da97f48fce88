#!/usr/bin/env bash
# tools/deps.sh: installs the Debian packages Toy needs, only those that are missing.
# Sourced by setup.sh and test.sh. Uses sudo when not root.
toy_install_deps() {
    local pkgs=(build-essential cmake ninja-build ccache pkg-config clang
                libclang-rt-14-dev libre2-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
                python3 lua5.4)
    local missing=()
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    echo "Installing missing packages: ${missing[*]}"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}
