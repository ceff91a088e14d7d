#!/bin/bash
# Runs train_digits as a Slurm batch job under sunwind's checkpoint contract:
#   - SIGTERM to the batch shell (from `scancel --signal=TERM --batch`, as
#     sunwind's Slurm executor pauses a job, or from --signal below 60 s
#     before the time limit) is forwarded to train_digits, which finishes its
#     mini-batch, saves its checkpoint and exits 0; this script exits with its
#     status;
#   - a requeued run (SLURM_RESTART_COUNT > 0) or one started with
#     SUNWIND_RESUME=1 resumes from the checkpoint, bit for bit.
# SIGSTOP/SIGCONT (`scontrol suspend` / `resume`) need nothing from the job.
#
#   sbatch examples/train-digits/slurm.sh --epochs 20 --slow-ms-per-batch 50
#
# Arguments go to train_digits. Run it from the directory that should hold the
# checkpoint and the result (both relative paths below), with train_digits on
# PATH or TRAIN_DIGITS set to its path. With TRAIN_DIGITS_REQUEUE_ON_TERM=1 a
# job that checkpointed on SIGTERM requeues itself (for the time-limit
# signal when no sunwind is driving it; sunwind requeues jobs it pauses).
#SBATCH --job-name=train-digits
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --mem=256M
#SBATCH --time=00:30:00
#SBATCH --signal=B:TERM@60
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=train-digits-%j.out
set -u

program="${TRAIN_DIGITS:-train_digits}"
if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ] || [ "${SUNWIND_RESUME:-0}" = 1 ]; then
  export SUNWIND_RESUME=1
fi

got_term=0
child=""
trap 'got_term=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null' TERM INT
# The job runs in the background so this shell can act on SIGTERM at once
# (bash runs a trap only between commands) and pass it on.
"$program" --checkpoint train-digits.ckpt --result result.json "$@" &
child=$!
[ "$got_term" = 0 ] || kill -TERM "$child" 2>/dev/null

# `wait` returns early when a trapped signal arrives: wait again until the
# job itself has ended, and keep its exit status.
while :; do
  wait "$child"
  status=$?
  kill -0 "$child" 2>/dev/null || break
done

if [ "$got_term" = 1 ] && [ "$status" = 0 ] && [ "${TRAIN_DIGITS_REQUEUE_ON_TERM:-0}" = 1 ] &&
   [ -n "${SLURM_JOB_ID:-}" ]; then
  scontrol requeue "$SLURM_JOB_ID"
fi
exit "$status"
