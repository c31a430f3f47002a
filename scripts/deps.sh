#!/usr/bin/env bash
# Installs the Debian packages ringkeeper needs. Usage: scripts/deps.sh build|test
# Only missing packages are installed (apt-get update runs first when anything is missing).
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config liburing-dev libmimalloc-dev libxxhash-dev
            libflatbuffers-dev flatbuffers-compiler libgtest-dev libbenchmark-dev)
test_pkgs=(zookeeper zookeeper-bin libzookeeper-mt-dev python3 python3-kazoo netcat-openbsd)

pkgs=("${build_pkgs[@]}")
if [ "${1:-build}" = "test" ]; then pkgs+=("${test_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
