#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test (unit, interop,
# differential, fault tests) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/build.sh
cd build
ctest --output-on-failure --timeout 900 -j2 "$@"
