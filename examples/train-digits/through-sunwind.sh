#!/usr/bin/env bash
# Runs train_digits through a sunwind daemon, on the local executor and on
# Slurm, pauses each run three times mid-training and resumes it, and checks
# that every run ends with the weights of a run never paused, to the bit.
#
#   examples/train-digits/through-sunwind.sh [BUILD_DIR]     (default: build)
#
# The daemon runs with examples/train-digits/sunwind.yaml: local:host, and
# slurm:east / slurm:west bound to the partitions of the one-node cluster that
# scripts/slurm-up.sh starts (SLURM_CONF, default
# /tmp/sunwind-slurm/etc/slurm.conf). Where no Slurm answers, only the local
# run is made, and the script says so. Exit status 0 when every run matched.
#
# Pauses here are a user's (`sunwind pause` / `sunwind resume`), so they land
# at known moments; the scheduler pauses the same way in a dirty hour (see
# tests/service/service_slurm_test.cc, where a virtual clock makes the hours).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
sunwind="$build/cli/sunwind"
train="$build/examples/train-digits/train_digits"
for f in "$sunwind" "$train"; do
  [ -x "$f" ] || { echo "through-sunwind: $f is not built (cmake --build $build)" >&2; exit 2; }
done
export SLURM_CONF="${SLURM_CONF:-${SUNWIND_SLURM_DIR:-/tmp/sunwind-slurm}/etc/slurm.conf}"

work="$(mktemp -d "${TMPDIR:-/tmp}/sunwind-digits.XXXXXX")"
serve_pid=""
ids=()
cleanup() {
  if [ -n "$serve_pid" ]; then
    # Leave nothing running or held on the cluster if we stopped half-way.
    for id in "${ids[@]}"; do "$sunwind" cancel "$id" >/dev/null 2>&1 || true; done
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# 8 epochs of 45 mini-batches, 10 ms each: about 4 s of training, long enough
# to be paused three times.
args=(--epochs 8 --slow-ms-per-batch 10 --checkpoint digits.ckpt --result result.json)

hash_of() { sed -n 's/.*"weights_hash": *"\([^"]*\)".*/\1/p' "$1"; }
json_field() { sed -n "s/^ *\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1; }  # in sunwind's --json output

mkdir -p "$work/straight"
(cd "$work/straight" && "$train" "${args[@]}" >/dev/null)
expected="$(hash_of "$work/straight/result.json")"
echo "straight run (no sunwind):   weights $expected"

regions=(local:host)
if sinfo -h -p east -o %a 2>/dev/null | grep -q up; then
  regions+=(slurm:east)
else
  echo "through-sunwind: no Slurm answers (SLURM_CONF=$SLURM_CONF): the Slurm run is skipped; start one with scripts/slurm-up.sh"
fi

"$sunwind" serve --config "$here/sunwind.yaml" --state-dir "$work/state" --listen 127.0.0.1:0 --tick 200ms \
  2>"$work/serve.log" &
serve_pid=$!
url=""
for _ in $(seq 100); do
  url="$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$work/serve.log" | head -n 1)"
  [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "through-sunwind: the daemon did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
export SUNWIND_URL="$url"
export SUNWIND_TOKEN="$(cat "$work/state/token")"

state_of() { "$sunwind" show "$1" --json | json_field state; }
wait_while() {  # id state [seconds]
  local limit=$(( ${3:-60} * 10 ))
  for _ in $(seq "$limit"); do
    [ "$(state_of "$1")" != "$2" ] && return 0
    sleep 0.1
  done
  echo "through-sunwind: job $1 still $2 after ${3:-60} s" >&2
  return 1
}
# Waits until the job's output shows N launches that have started training.
wait_launches() {  # id n
  for _ in $(seq 600); do
    local n
    n="$("$sunwind" logs "$1" 2>/dev/null | grep -c -E '^(fresh start|resumed):' || true)"
    [ "$n" -ge "$2" ] && return 0
    sleep 0.1
  done
  echo "through-sunwind: job $1 did not start training a ${2}th time" >&2
  return 1
}

status=0
for region in "${regions[@]}"; do
  dir="$work/run-${region//:/-}"
  mkdir -p "$dir"
  id="$("$sunwind" submit --json --name "digits-$region" --project examples --regions "$region" \
    --deadline +1h --duration 1h --power 60W --interruptible --workdir "$dir" -- "$train" "${args[@]}" |
    json_field id)"
  [ -n "$id" ] || { echo "through-sunwind: submit to $region failed" >&2; exit 1; }
  ids+=("$id")
  wait_while "$id" queued 30
  for pause in 1 2 3; do
    wait_launches "$id" "$pause"
    sleep 0.3
    "$sunwind" pause "$id" >/dev/null
    [ "$(state_of "$id")" = paused ] || { echo "through-sunwind: $id did not pause" >&2; status=1; break; }
    "$sunwind" resume "$id" >/dev/null
  done
  wait_while "$id" running 120
  final="$(state_of "$id")"
  got="$(hash_of "$dir/result.json" 2>/dev/null || true)"
  pauses="$("$sunwind" logs "$id" | grep -c '^paused:' || true)"
  printf '%-28s %s, %s checkpoint pauses, weights %s' "via sunwind on $region:" "$final" "$pauses" "${got:-none}"
  if [ "$final" = done ] && [ "$got" = "$expected" ] && [ "$pauses" -ge 3 ]; then
    echo "  (identical)"
  else
    echo "  (DIFFERS)"
    status=1
  fi
done
exit "$status"
