#!/usr/bin/env bash
# A throwaway single-node Slurm cluster in a temporary folder, for testing `lco sweep` against a
# real Slurm (Debian 12's slurmctld/slurmd/slurm-client 22.05; `environment/install.sh` installs them).
#
#   bash environment/local-slurm.sh start [DIR]   # prints DIR on the last stdout line; then
#   export SLURM_CONF=DIR/slurm.conf              # for sbatch, squeue, scancel, sinfo
#   bash environment/local-slurm.sh stop DIR      # cancels every job, waits, stops both daemons
#   bash environment/local-slurm.sh status DIR    # exit 0 when the node is up
#
# Exit codes of start: 0 up; 3 Slurm cannot run here (not root, packages missing, the host name
# does not resolve to loopback): one line on stderr says why, nothing was started; 1 it was tried
# and failed (the daemons' logs are printed, and whatever started is stopped again).
#
# Only for a test machine: `AuthType=auth/none` means anyone who can reach the ports can submit
# jobs as any user. That is why the daemons bind to loopback only (CommunicationParameters
# NoCtldInAddrAny,NoInAddrAny bind to the address the host name resolves to, which `start` checks
# is 127.x) and every address in the config is 127.0.0.1.
#
# Why each setting (measured facts from issue 15): no munge daemon (auth/none, cred/none); own
# ports (a port in use gives a false start, so two free ones are picked and checked); SlurmctldHost
# is `hostname -s` with the address (127.0.0.1); topology from `slurmd -C`; select/cons_tres with
# CR_Core so array tasks share the node one core each; proctrack/pgid and task/none (no cgroups,
# no systemd); no accounting; batch_sched_delay=0 and a 1 s scheduler interval so tasks start at
# once; kill_invalid_depend so a stage whose dependency failed is removed instead of pending
# forever. Every wait has a deadline and checks that the daemons are still alive (a wrong
# SlurmctldHost makes `sinfo` hang for minutes).
set -u

die() { echo "local-slurm: $*" >&2; exit 1; }
cannot() { echo "local-slurm: cannot run a local Slurm here: $*" >&2; exit 3; }

alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
pid_of() { [[ -f "$1" ]] && cat "$1" 2>/dev/null; }

# A free TCP port on 127.0.0.1 (nothing listening on it on any address), from a random start.
port_free() { [[ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }
pick_ports() {
  local p=$((20000 + RANDOM % 30000)) tries=0
  while ((tries < 200)); do
    if port_free "$p" && port_free "$((p + 1))"; then echo "$p"; return 0; fi
    p=$((p + 7)); ((p > 60000)) && p=20000; tries=$((tries + 1))
  done
  return 1
}

# Wait up to $1 seconds for the command "${@:2}" to succeed; every 0.3 s, and give up early when
# a daemon died. Each probe itself runs under `timeout 5`.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  while ((SECONDS < deadline)); do
    if ! alive "$(pid_of "$DIR/slurmctld.pid")" || ! alive "$(pid_of "$DIR/slurmd.pid")"; then return 2; fi
    timeout 5 "$@" >/dev/null 2>&1 && return 0
    sleep 0.3
  done
  return 1
}

show_logs() {
  for f in "$DIR/slurmctld.log" "$DIR/slurmd.log"; do
    [[ -f "$f" ]] && { echo "--- $f (last 20 lines)" >&2; tail -n 20 "$f" >&2; }
  done
}

# Stop the daemons of $DIR: cancel every job, wait for the queue to empty (jobs outlive slurmd),
# then TERM slurmd and slurmctld, wait, KILL what is left. Only pids recorded in $DIR are touched.
stop_cluster() {
  export SLURM_CONF="$DIR/slurm.conf"
  local ctld; ctld=$(pid_of "$DIR/slurmctld.pid")
  if alive "$ctld"; then
    timeout 10 scancel --quiet --full --user="$(id -un)" >/dev/null 2>&1 || true
    local deadline=$((SECONDS + 60))
    while ((SECONDS < deadline)) && alive "$ctld"; do
      local left; left=$(timeout 5 squeue -h -t PENDING,RUNNING,SUSPENDED,COMPLETING,CONFIGURING -o %i 2>/dev/null) || left="?"
      [[ -z "$left" ]] && break
      timeout 10 scancel --quiet --full --user="$(id -un)" >/dev/null 2>&1 || true
      sleep 0.5
    done
  fi
  for d in slurmd slurmctld; do
    local pid; pid=$(pid_of "$DIR/$d.pid")
    alive "$pid" || continue
    kill -TERM "$pid" 2>/dev/null
    local deadline=$((SECONDS + 20))
    while ((SECONDS < deadline)) && alive "$pid"; do sleep 0.2; done
    alive "$pid" && { echo "local-slurm: $d ($pid) did not stop in 20 s; killing it" >&2; kill -KILL "$pid" 2>/dev/null; sleep 0.5; }
  done
  # Job steps whose slurmstepd outlived slurmd (recorded at start: the ones that were not there before).
  local before; before=$(cat "$DIR/stepd-before" 2>/dev/null)
  for pid in $(pgrep -x slurmstepd 2>/dev/null); do
    grep -qx "$pid" <<<"$before" || { echo "local-slurm: stopping leftover slurmstepd $pid" >&2; kill -KILL "$pid" 2>/dev/null; }
  done
  return 0
}

cmd=${1:-}
case "$cmd" in
  start)
    [[ $(id -u) -eq 0 ]] || cannot "it needs root (slurmd runs jobs as their user); run the tests as root"
    for b in slurmctld slurmd sbatch squeue scancel sinfo ss; do
      command -v "$b" >/dev/null 2>&1 || cannot "$b is not installed (bash environment/install.sh installs slurmctld, slurmd, slurm-client)"
    done
    host=$(hostname -s)
    # NoCtldInAddrAny/NoInAddrAny bind to what the host name resolves to: it must be loopback.
    addr=$(getent ahostsv4 "$host" 2>/dev/null | awk 'NR==1{print $1}')
    [[ "$addr" == 127.* ]] || cannot "host name $host resolves to ${addr:-nothing}, not a loopback address (add \"127.0.0.1 $host\" to /etc/hosts)"
    DIR=${2:-$(mktemp -d "${TMPDIR:-/tmp}/lco-slurm.XXXXXX")}
    mkdir -p "$DIR/state" "$DIR/spool" || die "cannot create $DIR"
    DIR=$(cd "$DIR" && pwd)
    port=$(pick_ports) || die "no two free consecutive TCP ports found"
    node=$(slurmd -C 2>/dev/null | head -n 1 | sed -E "s/^NodeName=[^ ]+ //; s/ RealMemory=[0-9]+//")
    [[ "$node" == CPUs=* ]] || die "slurmd -C printed no topology: $(slurmd -C 2>&1 | head -n 2)"
    cat >"$DIR/slurm.conf" <<CONF
# Throwaway single-node cluster written by environment/local-slurm.sh (loopback only, no auth).
ClusterName=lcotest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MpiDefault=none
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_interval=1
DependencyParameters=kill_invalid_depend
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
KillWait=5
MinJobAge=600
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
MaxArraySize=10001
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host $node State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$DIR/slurm.conf"
    pgrep -x slurmstepd >"$DIR/stepd-before" 2>/dev/null || true
    # -D: stay in the foreground (no systemd); setsid: not in the caller's process group.
    setsid slurmctld -D -i -f "$SLURM_CONF" >>"$DIR/slurmctld.out" 2>&1 </dev/null &
    echo $! >"$DIR/slurmctld.pid"
    setsid slurmd -D -f "$SLURM_CONF" >>"$DIR/slurmd.out" 2>&1 </dev/null &
    echo $! >"$DIR/slurmd.pid"
    # The node must be idle within the deadline, with both daemons alive all along.
    wait_for 60 bash -c 'sinfo -h -N -o %t | grep -qx idle'
    rc=$?
    if ((rc != 0)); then
      ((rc == 2)) && echo "local-slurm: a daemon exited during start-up" >&2 || echo "local-slurm: the node was not idle within 60 s" >&2
      show_logs
      stop_cluster
      exit 1
    fi
    # A port in use gives a false start: check that our controller answers on our port.
    listen=$(ss -Hltn "sport = :$port" | awk '{print $4}' | sort -u | tr '\n' ' ')
    [[ "$listen" == 127.* ]] || { echo "local-slurm: port $port is served by ${listen:-nothing}, expected 127.0.0.1" >&2; stop_cluster; exit 1; }
    echo "local Slurm up in $DIR (slurmctld :$port, slurmd :$((port + 1)), on 127.0.0.1); export SLURM_CONF=$DIR/slurm.conf" >&2
    echo "$DIR"
    ;;
  stop)
    DIR=${2:-}
    [[ -n "$DIR" && -f "$DIR/slurm.conf" ]] || die "usage: $0 stop DIR (DIR has no slurm.conf: ${DIR:-none given})"
    stop_cluster
    [[ "${3:-}" == "--keep" ]] || rm -rf "$DIR"
    ;;
  status)
    DIR=${2:-}
    [[ -n "$DIR" && -f "$DIR/slurm.conf" ]] || die "usage: $0 status DIR"
    export SLURM_CONF="$DIR/slurm.conf"
    alive "$(pid_of "$DIR/slurmctld.pid")" && alive "$(pid_of "$DIR/slurmd.pid")" && timeout 5 sinfo -h -N -o "%N %t" 
    ;;
  *)
    echo "usage: $0 start [DIR] | stop DIR [--keep] | status DIR" >&2
    exit 2
    ;;
esac
