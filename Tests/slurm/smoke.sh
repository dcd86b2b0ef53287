#!/usr/bin/env bash
# Checks a cluster started by start-cluster.sh: batch jobs, arrays, failure,
# cancellation, afterok dependencies, squeue and sacct. Exits non-zero on the
# first check that fails. Takes about 15 s.
#
#   Tests/slurm/smoke.sh STATE_DIR        (or with SLURM_CONF already set)
set -euo pipefail

me=smoke.sh
if [ $# -ge 1 ]; then
    # shellcheck disable=SC1091
    . "$1/env"
fi
[ -n "${SLURM_CONF:-}" ] || { echo "$me: usage: smoke.sh STATE_DIR (or source STATE_DIR/env first)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/asym-slurm-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0
passed=0

check() {                                   # check WHAT EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then
        echo "$me: ok   $1: $3" >&2
        passed=$((passed + 1))
    else
        echo "$me: FAIL $1: expected $2, got $3" >&2
        failures=$((failures + 1))
    fi
}

submit() { sbatch --parsable --output="$work/%x-%j.out" "$@"; }

# state ID: the job's (or array's, one per line) final state as sacct records it.
state_of() { sacct -n -X -P -j "$1" --format=State | awk '{print $1}' | sort -u | tr '\n' ' ' | sed 's/ $//'; }

# wait_gone ID...: until squeue no longer lists any of them (bounded).
wait_gone() {
    local ids; ids="$(IFS=,; echo "$*")"
    for _ in $(seq 300); do
        [ -n "$(squeue -h -j "$ids" -o %A 2>/dev/null)" ] || return 0
        sleep 0.2
    done
    echo "$me: jobs $ids still queued after 60 s" >&2
    squeue >&2
    return 1
}

# wait_state ID STATE: until sacct shows STATE (accounting lags the queue a little).
wait_state() {
    for _ in $(seq 50); do
        [ "$(state_of "$1")" = "$2" ] && return 0
        sleep 0.2
    done
}

sinfo >&2
hello=$(submit --job-name=smoke-hello --wrap 'hostname')
# shellcheck disable=SC2016  # expanded by the job, not here
array=$(submit --job-name=smoke-array --output="$work/%x-%A_%a.out" --array=0-1 --wrap 'echo task $SLURM_ARRAY_TASK_ID')
fail=$(submit --job-name=smoke-fail --wrap 'exit 1')
sleeper=$(submit --job-name=smoke-sleep --wrap 'sleep 300')
# Holds on a job that sleeps 3 s: must stay pending, then run after it.
first=$(submit --job-name=smoke-first --wrap 'sleep 3')
after=$(submit --job-name=smoke-after --dependency=afterok:"$first" --wrap 'echo after')
# Depends on a job that fails: must never run (cancelled, not pending forever).
orphan=$(submit --job-name=smoke-orphan --dependency=afterok:"$fail" --wrap 'echo never')
squeue >&2

check "dependant of a running job waits" "PENDING Dependency" "$(squeue -h -j "$after" -o '%T %r')"
for _ in $(seq 50); do
    [ "$(squeue -h -j "$sleeper" -o %T)" = RUNNING ] && break
    sleep 0.2
done
scancel "$sleeper"

wait_gone "$hello" "$array" "$fail" "$sleeper" "$first" "$after" "$orphan"
for id in "$hello" "$array" "$first" "$after"; do wait_state "$id" COMPLETED; done
wait_state "$fail" FAILED
wait_state "$sleeper" CANCELLED

sacct -j "$hello,$array,$fail,$sleeper,$first,$after,$orphan" --format=JobID,JobName,State,ExitCode >&2
check "hostname job" COMPLETED "$(state_of "$hello")"
check "hostname job output" "$(sinfo -h -o %N)" "$(cat "$work/smoke-hello-$hello.out")"
check "array job, both tasks" COMPLETED "$(state_of "$array")"
check "array tasks" 2 "$(sacct -n -X -P -j "$array" --format=JobID | grep -c "^${array}_")"
check "array task 1 output" "task 1" "$(cat "$work/smoke-array-${array}_1.out")"
check "job that exits 1" FAILED "$(state_of "$fail")"
check "its exit code" "1:0" "$(sacct -n -X -P -j "$fail" --format=ExitCode)"
check "scancel of a sleeping job" CANCELLED "$(state_of "$sleeper")"
check "afterok dependant after success" COMPLETED "$(state_of "$after")"
check "afterok dependant ran after its dependency" 1 \
    "$(( $(date -d "$(sacct -n -X -P -j "$after" --format=Start)" +%s) >= $(date -d "$(sacct -n -X -P -j "$first" --format=End)" +%s) ))"
check "afterok dependant of a failure never runs" CANCELLED "$(state_of "$orphan")"
check "queue empty" "" "$(squeue -h -o %A)"

echo "$me: $passed passed, $failures failed" >&2
[ "$failures" = 0 ]
