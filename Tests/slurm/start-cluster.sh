#!/usr/bin/env bash
# Starts a private single-node Slurm cluster on this machine, without systemd:
# munged, a private MariaDB, slurmdbd (for sacct), slurmctld and slurmd, each a
# background daemon whose pid is recorded, all state in one folder.
#
#   Tests/slurm/start-cluster.sh [STATE_DIR]
#
# STATE_DIR must be absent or empty (default: a new mktemp folder in /dev/shm,
# or ASYM_SLURM_TMPDIR, or TMPDIR when /dev/shm is not writable). On success the
# folder's path is the only line on stdout and "$STATE_DIR/env" exports SLURM_CONF
# and friends; stop with Tests/slurm/stop-cluster.sh STATE_DIR. On failure it names
# the log to read, stops what it started and leaves the folder (with the logs) for
# stop-cluster.sh to remove. Installs the Debian packages it needs when missing
# (needs root). Tunables: ASYM_SLURM_TIMEOUT (seconds per daemon, default 60),
# ASYM_SLURM_PORT_BASE (first of four consecutive loopback ports; default: the
# first free block from 26817).
set -euo pipefail

me=start-cluster.sh
here="$(cd "$(dirname "$0")" && pwd)"
timeout="${ASYM_SLURM_TIMEOUT:-60}"
packages=(slurm-wlm munge slurmdbd mariadb-server-core mariadb-client-core)

say() { echo "$me: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (the daemons run as root and munge, and may need apt-get)"

# ---- packages -----------------------------------------------------------------
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    # Without systemd the packages' init.d scripts would start a system munged and
    # MariaDB during install; a policy-rc.d that says no keeps them quiet.
    own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        own_policy=1
    fi
    apt_status=0
    { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
        </dev/null >&2 || apt_status=$?
    [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
    [ "$apt_status" = 0 ] || die "apt-get install ${missing[*]} failed (exit $apt_status)"
fi
id munge >/dev/null 2>&1 || die "user munge is missing (the munge package creates it)"

# ---- state folder -----------------------------------------------------------------
if [ $# -ge 1 ]; then
    state="$(realpath -m "$1")"
    # Unix socket paths are limited to 107 bytes; keep ours well inside that.
    [ ${#state} -le 70 ] || die "$state is too long a path for the daemons' sockets (at most 70 characters)"
    mkdir -p "$state"
    [ -z "$(ls -A "$state")" ] || die "$state is not empty (a cluster may be running there: stop-cluster.sh $state)"
else
    # Memory-backed by default: MariaDB's start is bound by fsync, and takes
    # about 2 s on tmpfs against 6-8 s on this machine's disk.
    # It needs about 120 MB (Docker's default /dev/shm has 64).
    parent="${ASYM_SLURM_TMPDIR:-/dev/shm}"
    free_kb="$(df -Pk "$parent" 2>/dev/null | awk 'NR == 2 {print $4}')"
    if [ ! -d "$parent" ] || [ ! -w "$parent" ] || [ "${free_kb:-0}" -lt 262144 ]; then
        parent="${TMPDIR:-/tmp}"
    fi
    state="$(mktemp -d "$parent/asym-slurm.XXXXXX")"
    [ ${#state} -le 70 ] || { rmdir "$state"; die "$state is too long a path for the daemons' sockets (set TMPDIR)"; }
fi
touch "$state/.asym-slurm-cluster"           # stop-cluster.sh removes only folders with this mark
chmod 755 "$state"                           # munged runs as user munge and must reach its folder
mkdir -p "$state"/{etc,log,run,tmp,ctld,slurmd,mysql}
mkdir -p "$state/munge"
chown munge:munge "$state/munge"
chmod 755 "$state/munge"                     # others may reach the socket, not write here
: >"$state/pids"

# On any failure from here on: stop what was started, keep the logs.
started=""
on_exit() {
    local status=$?
    [ "$status" != 0 ] || return 0
    if [ -n "$started" ]; then
        "$here/stop-cluster.sh" --keep-state "$state" >&2 || true
        say "stopped the daemons it had started; logs kept in $state/log"
    fi
    say "failed; remove $state with: Tests/slurm/stop-cluster.sh $state"
}
trap on_exit EXIT

# ---- this host --------------------------------------------------------------------
node="$(uname -n)"; node="${node%%.*}"
cpus="$(nproc)"
mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
real_mem=$(( mem_mb * 9 / 10 ))              # leave the system some room
cluster=asym
partition=asym

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -n "${ASYM_SLURM_PORT_BASE:-}" ]; then
    base="$ASYM_SLURM_PORT_BASE"
else
    base=26817
    while ! { port_free "$base" && port_free $((base + 1)) && port_free $((base + 2)) && port_free $((base + 3)); }; do
        base=$((base + 10))
        [ "$base" -lt 27817 ] || die "no four free ports between 26817 and 27817 on 127.0.0.1"
    done
fi
ctld_port=$base; slurmd_port=$((base + 1)); dbd_port=$((base + 2)); mysql_port=$((base + 3))

munge_socket="$state/munge/munge.socket"
mysql_socket="$state/mysql/mysqld.sock"
db_pass="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# ---- configuration --------------------------------------------------------------
cat >"$state/etc/slurm.conf" <<EOF
# Generated by Tests/slurm/start-cluster.sh for $node: a private single-node cluster.
ClusterName=$cluster
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$munge_socket
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/slurmd
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No systemd and no cgroups here. Track a job's processes by process group:
# linuxproc follows parent links, and lost a child whose shell died under load
# (reparented to init, it outlived scancel).
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
# The node's real hardware may differ from what is written below (containers);
# do not drain it for that.
SlurmdParameters=config_overrides
ReturnToService=2
# Schedule at submit and every 2 s rather than the defaults (3 s delay, 60 s loop).
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_interval=2,bf_interval=5
# A job whose afterok dependency failed is cancelled instead of pending forever.
DependencyParameters=kill_invalid_depend
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
KillWait=5
MinJobAge=300
InactiveLimit=0
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$dbd_port
# Clients and slurmctld reach slurmdbd through the munged named here, not AuthInfo's.
AccountingStoragePass=$munge_socket
JobCompType=jobcomp/none
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node Port=$slurmd_port CPUs=$cpus RealMemory=$real_mem State=UNKNOWN
PartitionName=$partition Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

cat >"$state/etc/slurmdbd.conf" <<EOF
# Generated by Tests/slurm/start-cluster.sh.
AuthType=auth/munge
AuthInfo=socket=$munge_socket
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$dbd_port
SlurmUser=root
PidFile=$state/run/slurmdbd.pid
LogFile=$state/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$mysql_port
StorageUser=slurm
StoragePass=$db_pass
StorageLoc=slurm_acct_db
EOF
chmod 600 "$state/etc/slurmdbd.conf"        # slurmdbd refuses a readable one (it holds a password)

cat >"$state/env" <<EOF
# Source this to use the cluster started in $state.
export SLURM_CONF=$state/etc/slurm.conf
export ASYM_SLURM_STATE=$state
export ASYM_SLURM_PARTITION=$partition
export ASYM_SLURM_NODE=$node
export ASYM_SLURM_CPUS=$cpus
EOF
export SLURM_CONF="$state/etc/slurm.conf"

# ---- daemons ----------------------------------------------------------------------
# launch NAME CMD...: runs CMD in the foreground mode of the daemon, in its own
# session, detached from our stdin/stdout/stderr and from any other inherited fd
# (a daemon holding the caller's pipe open would hang `start-cluster.sh | cat`),
# and records "PID NAME PROGRAM" in $state/pids.
launch() {
    local name="$1"; shift
    (
        for fd in "/proc/$BASHPID/fd/"*; do
            fd="${fd##*/}"
            [ "$fd" -le 2 ] || eval "exec $fd>&-" 2>/dev/null || true
        done
        exec setsid "$@" </dev/null >>"$state/log/$name.out" 2>&1
    ) &
    # The program the pid must still be when stop-cluster.sh signals it (pids are
    # reused; Debian's /usr/sbin/slurmctld is a link to slurmctld-wlm).
    echo "$! $name $(readlink -f "$(command -v "$name")")" >>"$state/pids"
    started=1
}

pid_of() { awk -v n="$1" '$2 == n {print $1}' "$state/pids" | tail -n 1; }

alive() {                                   # a zombie counts as dead
    local pid="$1"
    [ -r "/proc/$pid/stat" ] || return 1
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# wait_for NAME LOG WHAT CHECK...: polls CHECK until it succeeds; fails with the
# log to read when the daemon dies or the timeout passes.
wait_for() {
    local name="$1" log="$2" what="$3"; shift 3
    local pid; pid="$(pid_of "$name")"
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if ! alive "$pid"; then
            say "$name (pid $pid) exited before $what; read $log"
            tail -n 20 "$log" >&2 2>/dev/null || true
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            say "$name: no $what within $timeout s; read $log"
            tail -n 20 "$log" >&2 2>/dev/null || true
            exit 1
        fi
        sleep 0.2
    done
    say "$name up ($what) after $(elapsed) s"
}

t0="$(date +%s.%N)"
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say "state in $state; node $node, $cpus CPUs, ${real_mem} MB; ports $ctld_port-$mysql_port on 127.0.0.1"

# munged, with a private key and socket, as user munge (setpriv execs in place,
# so the recorded pid is munged's own).
setpriv --reuid=munge --regid=munge --init-groups mungekey --create --keyfile="$state/munge/munge.key"
launch munged setpriv --reuid=munge --regid=munge --init-groups munged --foreground --num-threads=2 \
    --socket="$munge_socket" --key-file="$state/munge/munge.key" \
    --pid-file="$state/munge/munged.pid" --seed-file="$state/munge/munged.seed"
munge_ok() { munge -n -S "$munge_socket" | unmunge -S "$munge_socket"; }
wait_for munged "$state/log/munged.out" "credential round-trip" munge_ok

# A private MariaDB: own datadir, socket, and a port on loopback only. It is
# thrown away at stop, so it is small and skips the flushes that make it durable.
mysql_tuning=(--skip-log-bin --performance-schema=OFF --innodb-buffer-pool-size=64M --innodb-log-file-size=16M
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --aria-sync-log-dir=NEVER)
mariadb-install-db --no-defaults --user=root --datadir="$state/mysql/data" \
    --auth-root-authentication-method=socket --skip-test-db "${mysql_tuning[@]}" \
    >"$state/log/mariadb-install-db.log" 2>&1 \
    || { say "mariadb-install-db failed; read $state/log/mariadb-install-db.log"; exit 1; }
say "MariaDB datadir made after $(elapsed) s"
launch mariadbd mariadbd --no-defaults --user=root --datadir="$state/mysql/data" \
    --socket="$mysql_socket" --port="$mysql_port" --bind-address=127.0.0.1 --skip-name-resolve \
    --pid-file="$state/mysql/mariadbd.pid" --log-error="$state/log/mariadbd.log" --tmpdir="$state/tmp" \
    --max-connections=40 --innodb-lock-wait-timeout=900 "${mysql_tuning[@]}"
sql() { mariadb --no-defaults --socket="$mysql_socket" -u root -e "$1"; }
wait_for mariadbd "$state/log/mariadbd.log" "answer on $mysql_socket" sql 'SELECT 1'
sql "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$db_pass';
     GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"

launch slurmdbd slurmdbd -D
wait_for slurmdbd "$state/log/slurmdbd.log" "answer to sacctmgr" sacctmgr -n list cluster
sacctmgr -i add cluster "$cluster" >/dev/null  # before slurmctld, which registers with it

launch slurmctld slurmctld -D -f "$SLURM_CONF"
wait_for slurmctld "$state/log/slurmctld.log" "answer to scontrol ping" \
    bash -c 'scontrol ping | grep -q "is UP"'

launch slurmd slurmd -D -f "$SLURM_CONF" -N "$node"
node_idle() { [ "$(sinfo -h -n "$node" -o %T)" = idle ]; }
wait_for slurmd "$state/log/slurmd.log" "idle node $node in sinfo" node_idle

say "cluster up in $(elapsed) s; source $state/env (SLURM_CONF=$SLURM_CONF)"
echo "$state"
