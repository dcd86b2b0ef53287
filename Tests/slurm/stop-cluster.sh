#!/usr/bin/env bash
# Stops the single-node cluster that start-cluster.sh started in STATE_DIR: cancels
# its jobs, then stops exactly the daemons whose pids it recorded (never by name),
# waits for them to exit and removes the folder.
#
#   Tests/slurm/stop-cluster.sh [--keep-state] STATE_DIR
#
# Safe to call twice, on a folder where start failed halfway, and on a folder that
# is already gone. --keep-state stops the daemons but keeps the folder (and logs).
set -euo pipefail

me=stop-cluster.sh
say() { echo "$me: $*" >&2; }

keep=""
if [ "${1:-}" = --keep-state ]; then keep=1; shift; fi
[ $# -eq 1 ] || { say "usage: stop-cluster.sh [--keep-state] STATE_DIR"; exit 2; }
state="$1"

if [ ! -d "$state" ]; then
    say "$state does not exist; nothing to stop"
    exit 0
fi
if [ ! -e "$state/.asym-slurm-cluster" ]; then
    # start-cluster.sh was handed this folder but failed before marking it.
    if [ -z "$(ls -A "$state")" ]; then
        [ -n "$keep" ] || rmdir "$state"
        exit 0
    fi
    say "$state was not made by start-cluster.sh (no .asym-slurm-cluster); leaving it alone"
    exit 1
fi

# The daemons we started, newest first, as "PID NAME" (the file has "PID NAME PROGRAM"). A pid only counts while
# /proc says it is still that program (pids are reused) and not a zombie.
pids_file="$state/pids"
ours() {
    [ -r "$pids_file" ] || return 0
    tac "$pids_file" | while read -r pid name program; do
        [ -n "$program" ] || continue
        exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || continue
        [ "${exe% (deleted)}" = "$program" ] || continue
        [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || continue
        echo "$pid $name"
    done
}
running() { ours | awk -v n="$1" '$2 == n' | grep -q .; }

# Running job steps outlive slurmd's SIGTERM: cancel every job first and give
# them a moment to leave.
if [ -r "$state/etc/slurm.conf" ] && running slurmctld; then
    export SLURM_CONF="$state/etc/slurm.conf"
    jobs="$(timeout 10 squeue -h -o %A 2>/dev/null || true)"
    if [ -n "$jobs" ]; then
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs 2>/dev/null || true
        for _ in $(seq 50); do
            [ -n "$(timeout 5 squeue -h -o %A 2>/dev/null || true)" ] || break
            sleep 0.2
        done
    fi
fi

# stop_all SIGNAL SECONDS: signals every daemon still ours, in reverse start order
# (slurmd, slurmctld, slurmdbd, mariadbd, munged), and waits for them to exit.
stop_all() {
    local signal="$1" seconds="$2"
    ours | while read -r pid name; do
        kill "-$signal" "$pid" 2>/dev/null || true
        # Let each one finish before the next goes (slurmctld talks to slurmdbd,
        # slurmdbd to MariaDB, all of them to munged), within the time allowed.
        for _ in $(seq $((seconds * 5))); do
            if ! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then
                break
            fi
            sleep 0.2
        done
    done
    local deadline=$((SECONDS + seconds))
    while [ -n "$(ours)" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
}
stop_all TERM 20
if [ -n "$(ours)" ]; then
    say "still running after SIGTERM, sending SIGKILL: $(ours | tr '\n' ' ')"
    stop_all KILL 5
fi
# What is left of this cluster's jobs: processes that escaped them (proctrack/pgid
# loses one that changed its process group), and the job steps of a cluster
# whose slurmctld died before it could cancel them. Their environment names this
# cluster's slurm.conf, and either a job id or (slurmstepd) nothing more: no
# other process carries both marks, so this never reaches the caller.
stepd="$(readlink -f "$(command -v slurmstepd || echo /usr/sbin/slurmstepd)" 2>/dev/null || true)"
strays() {
    local conf="$state/etc/slurm.conf" env exe
    for dir in /proc/[0-9]*; do
        local pid="${dir#/proc/}"
        if [ "$pid" = $$ ] || [ "$pid" = "$PPID" ]; then continue; fi
        env="$(tr '\0' '\n' 2>/dev/null <"$dir/environ")" || continue
        grep -qxF "SLURM_CONF=$conf" <<<"$env" || continue
        exe="$(readlink "$dir/exe" 2>/dev/null || true)"
        [ -n "$stepd" ] && [ "${exe% (deleted)}" = "$stepd" ] || grep -q '^SLURM_JOB_ID=' <<<"$env" || continue
        [ "$(awk '{print $3}' "$dir/stat" 2>/dev/null)" != Z ] || continue
        echo "$pid"
    done
}
stray="$(strays)"
if [ -n "$stray" ]; then
    say "killing processes of its jobs that outlived them: $(echo "$stray" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    kill -KILL $stray 2>/dev/null || true
fi

left="$(ours)"
if [ -n "$left" ]; then
    say "could not stop: $(echo "$left" | tr '\n' ' '); keeping $state"
    exit 1
fi

if [ -n "$keep" ]; then
    say "daemons stopped; state kept in $state"
else
    rm -rf "$state"
    say "daemons stopped; removed $state"
fi
