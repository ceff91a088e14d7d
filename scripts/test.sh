#!/usr/bin/env bash
# Sets everything up (packages, build) and runs every test. Pass ctest
# arguments to narrow it, e.g. scripts/test.sh -L unit or -LE integration.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
