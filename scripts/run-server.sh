#!/usr/bin/env bash
# Installs what is missing, builds, and runs a standalone ringkeeper in the foreground on
# 127.0.0.1:2181 with conf/zoo.cfg (data under ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
scripts/build.sh --target ringkeeper
exec build/ringkeeper conf/zoo.cfg
