#!/usr/bin/env bash
# Sets everything up (packages, build) and runs every test. Pass ctest
# arguments to narrow it, e.g. scripts/test.sh -L unit or -LE integration.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# A real one-node Slurm for the Slurm executor's tests (they skip without one).
scripts/slurm-up.sh || echo "slurm: could not start (see ${SUNWIND_SLURM_DIR:-/tmp/sunwind-slurm}/log/); Slurm tests will skip"
trap "'$PWD/scripts/slurm-down.sh' >/dev/null" EXIT
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
