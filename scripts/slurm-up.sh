#!/usr/bin/env bash
# Starts a real one-node Slurm 22.05 on localhost for the Slurm executor's
# tests: munge, MariaDB (for accounting), slurmdbd, slurmctld and slurmd,
# each started directly (a container has no systemd) with its pid file and
# log under the state directory. Two partitions, `east` and `west`, stand for
# two regions.
#
# Idempotent: a component that already answers is left alone, so running it
# again after `kill $(cat .../run/slurmctld.pid)` brings back just
# slurmctld. Installs the Debian packages only when missing (root, or
# password-less sudo). Nothing outside the state directory is configured:
# clients find the cluster through SLURM_CONF=<state>/etc/slurm.conf.
#
#   SUNWIND_SLURM_DIR   state directory (default /tmp/sunwind-slurm)
#
# On failure it prints where the logs are and exits non-zero.
set -euo pipefail

S="${SUNWIND_SLURM_DIR:-/tmp/sunwind-slurm}"
export SLURM_CONF="$S/etc/slurm.conf"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi

fail() {
  echo "slurm-up: $*" >&2
  echo "slurm-up: logs are in $S/log/ (slurmctld.log, slurmd.log, slurmdbd.log, mariadb.log, munged.log)" >&2
  exit 1
}

# Polls `cmd` every 0.2 s for up to $1 seconds.
wait_for() {
  local seconds=$1; shift
  local tries=$((seconds * 5))
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

# Records that this script started a component, for slurm-down.sh.
started() { grep -qx "$1" "$S/started" 2>/dev/null || echo "$1" >>"$S/started"; }

# --- packages ---------------------------------------------------------------
packages=(slurmctld slurmd slurmdbd slurm-client munge mariadb-server)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "slurm-up: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Package scripts must not start the services: this script starts them
  # its own way. policy-rc.d says so to invoke-rc.d (ours only if none exists).
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { ((own_policy)) && $SUDO rm -f /usr/sbin/policy-rc.d; fail "apt-get install ${missing[*]} failed"; }
  if ((own_policy)); then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi

mkdir -p "$S/etc" "$S/log" "$S/run" "$S/state" "$S/spool"
chmod 755 "$S" "$S/log" "$S/run"

# --- configuration (rewritten each time: cheap, and keeps it current) --------
node_hw="$(slurmd -C | head -n1 | sed -e 's/^NodeName=[^ ]* //')"
[ -n "$node_hw" ] || fail "slurmd -C reported no hardware"
cat >"$S/etc/slurm.conf.new" <<EOF
# Written by scripts/slurm-up.sh: a one-node test cluster on localhost.
ClusterName=sunwind
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups in a container: track processes through /proc.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=2
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
ReturnToService=2
# Short waits so tests are quick: signal-to-kill, and how long a finished
# job stays in slurmctld's memory (scontrol show job) after it ends.
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=5
JobRequeue=1
NodeName=localhost NodeAddr=127.0.0.1 $node_hw State=UNKNOWN
# Two partitions on the one node stand for two regions. OverSubscribe lets
# tests run side by side on a small machine.
PartitionName=east Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
PartitionName=west Nodes=localhost Default=NO MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
EOF
mv "$S/etc/slurm.conf.new" "$S/etc/slurm.conf"

db_pass="sunwind-test"
umask 077
cat >"$S/etc/slurmdbd.conf" <<EOF
# Written by scripts/slurm-up.sh.
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$S/run/slurmdbd.pid
LogFile=$S/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$db_pass
StorageLoc=sunwind_slurm_acct_db
EOF
umask 022
chmod 600 "$S/etc/slurmdbd.conf"

# --- munge ------------------------------------------------------------------
munge_ok() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }
if ! munge_ok; then
  if [ ! -s /etc/munge/munge.key ]; then
    $SUDO mungekey --create --keyfile=/etc/munge/munge.key
    $SUDO chown munge:munge /etc/munge/munge.key
    $SUDO chmod 600 /etc/munge/munge.key
  fi
  $SUDO install -d -o munge -g munge -m 755 /run/munge
  $SUDO install -o munge -g munge -m 644 /dev/null "$S/log/munged.log"
  $SUDO runuser -u munge -- /usr/sbin/munged --log-file="$S/log/munged.log" ||
    fail "munged did not start"
  started munged
  wait_for 10 munge_ok || fail "munge does not answer"
fi

# --- MariaDB ----------------------------------------------------------------
db_ok() { mariadb-admin --protocol=socket ping >/dev/null 2>&1; }
if ! db_ok; then
  if [ ! -d /var/lib/mysql/mysql ]; then
    $SUDO mariadb-install-db --user=mysql --datadir=/var/lib/mysql >"$S/log/mariadb-install.log" 2>&1 ||
      fail "mariadb-install-db failed"
  fi
  $SUDO install -d -o mysql -g mysql -m 755 /run/mysqld
  $SUDO install -o mysql -g mysql -m 644 /dev/null "$S/log/mariadb.log"
  (setsid mariadbd --user=mysql --datadir=/var/lib/mysql --pid-file=/run/mysqld/sunwind-mariadb.pid \
     --socket=/run/mysqld/mysqld.sock --bind-address=127.0.0.1 \
     --log-error="$S/log/mariadb.log" </dev/null >/dev/null 2>&1 &)
  started mariadb
  wait_for 30 db_ok || fail "MariaDB does not answer"
fi
mariadb --protocol=socket -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$db_pass';
  GRANT ALL ON sunwind_slurm_acct_db.* TO 'slurm'@'localhost';" ||
  fail "could not create the slurm database user"

# --- slurmdbd, then the cluster and account it must know ---------------------
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
dbd_ok() { sacctmgr -n -P list cluster format=cluster >/dev/null 2>&1; }
if ! pid_alive "$S/run/slurmdbd.pid"; then
  slurmdbd || fail "slurmdbd did not start"
  started slurmdbd
fi
wait_for 30 dbd_ok || fail "slurmdbd does not answer"
if ! sacctmgr -n -P list cluster format=cluster | grep -qx sunwind; then
  sacctmgr -i add cluster sunwind >/dev/null || fail "sacctmgr add cluster failed"
fi
if ! sacctmgr -n -P list account format=account | grep -qx sunwind; then
  sacctmgr -i add account sunwind cluster=sunwind description=tests organization=sunwind >/dev/null ||
    fail "sacctmgr add account failed"
fi
if ! sacctmgr -n -P list user format=user | grep -qx root; then
  sacctmgr -i add user root account=sunwind cluster=sunwind >/dev/null || fail "sacctmgr add user failed"
fi

# --- slurmctld and slurmd ---------------------------------------------------
if ! pid_alive "$S/run/slurmctld.pid"; then
  slurmctld || fail "slurmctld did not start"
  started slurmctld
fi
wait_for 30 scontrol ping || fail "slurmctld does not answer"
if ! pid_alive "$S/run/slurmd.pid"; then
  slurmd -N localhost || fail "slurmd did not start"
  started slurmd
fi
node_idle() { sinfo -h -N -n localhost -o '%T' | grep -Eq '^(idle|mixed|allocated)'; }
if ! wait_for 30 node_idle; then
  # A node left down or drained by an earlier run comes back.
  scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true
  wait_for 10 node_idle || fail "node localhost is not idle: $(sinfo -h -N -o '%T %E' 2>&1)"
fi
echo "slurm-up: ready (SLURM_CONF=$SLURM_CONF; logs in $S/log/)"
