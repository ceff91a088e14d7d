#!/usr/bin/env bash
# The main job on the embedded default (bundled real grid traces, no network,
# no account): rank four European regions, plan a 6-hour training job
# across three regions before its deadline (at once and interruptibly), and
# replay a month of training jobs under every scheduling policy; then run the
# daemon on an accelerated clock (an hour a second) with four example jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --target sunwind >/dev/null
sw=build/cli/sunwind

echo "== Which region is cleanest at noon on 2022-06-01, for 4 hours? =="
$sw regions rank --regions aws:eu-central-1,aws:eu-west-2,aws:eu-south-2,azure:norwayeast \
                 --at 2022-06-01T12:00Z --duration 4h
echo
echo "== A 6h, 1.2 kW job submitted 2022-06-01 08:00 UTC, due 2022-06-03 00:00 UTC =="
$sw plan --regions aws:eu-central-1,aws:eu-west-2,aws:us-west-1 --duration 6h \
         --deadline 2022-06-03T00:00Z --at 2022-06-01T08:00Z --power 1.2kW
echo
echo "== The same job when it may pause and resume, in chunks of at least 2h, staying in Europe =="
$sw plan --regions aws:eu-central-1,aws:eu-west-2 --duration 6h \
         --deadline 2022-06-03T00:00Z --at 2022-06-01T08:00Z --power 1.2kW --interruptible --min-chunk 2h
echo
echo "== A month of ML training jobs (Let's Wait Awhile scenario) under every policy, January 2020 =="
$sw simulate --workload examples/workloads/ml-training.yaml --from 2020-01-01 --to 2020-02-01
echo
echo "== The daemon: four jobs submitted over its HTTP API, run as real processes on a clock x3600 =="
$sw demo
