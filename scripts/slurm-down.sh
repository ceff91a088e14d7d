#!/usr/bin/env bash
# Stops what scripts/slurm-up.sh started (and only that: a MariaDB or munged
# that was already running stays), newest first. Keeps the state directory
# and its logs; pass --purge to remove it too.
set -uo pipefail

S="${SUNWIND_SLURM_DIR:-/tmp/sunwind-slurm}"
[ -f "$S/started" ] || exit 0

# Sends TERM to the pid in $1 and waits up to 10 s for it to go.
stop_pid_file() {
  local file=$1
  [ -s "$file" ] || return 0
  local pid
  pid="$(cat "$file")"
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# Jobs still in the test cluster go first, so no job step outlives slurmd.
if grep -qx slurmctld "$S/started"; then
  SLURM_CONF="$S/etc/slurm.conf" scancel --quiet -u "$(id -un)" 2>/dev/null || true
fi
for component in slurmd slurmctld slurmdbd mariadb munged; do
  grep -qx "$component" "$S/started" || continue
  case "$component" in
    munged) stop_pid_file /run/munge/munged.pid ;;
    mariadb) stop_pid_file /run/mysqld/sunwind-mariadb.pid ;;
    *) stop_pid_file "$S/run/$component.pid" ;;
  esac
done
rm -f "$S/started"
if [ "${1:-}" = "--purge" ]; then rm -rf "$S"; fi
echo "slurm-down: stopped"
