#!/usr/bin/env bash
# local-cluster.sh — a throw-away single-node Slurm cluster on localhost, for
# testing `datarater run PIPELINE --executor slurm` without a real cluster.
#
# Usage: scripts/slurm/local-cluster.sh start|stop|restart|status|env|purge
#
#   start    install slurm-wlm + munge from Debian if missing, write the config,
#            start munged, slurmctld and slurmd, wait until the node is idle.
#            Idempotent: if everything is already up it only prints usage.
#   stop     stop the daemons this script started (by their pid files).
#   restart  stop, then start.
#   status   print daemon and node state; exit 0 only if the cluster is usable.
#   env      print `export SLURM_CONF=...` for eval "$(... env)".
#   purge    stop, then delete the state directory.
#
# Everything (config, munge key and socket, spool, logs, pid files) lives in
# one state directory: $DATARATER_SLURM_DIR (default /tmp/datarater-slurm).
# Nothing under /etc is modified, so clients must see SLURM_CONF (see `env`).
#
# Other knobs (environment): DATARATER_SLURM_CTLD_PORT (default 6817),
# DATARATER_SLURM_D_PORT (default 6818), DATARATER_SLURM_WAIT (default 60 s),
# DATARATER_SLURM_MIN_JOB_AGE (default 86400: seconds finished jobs stay
# visible to squeue/scontrol). Two clusters can coexist with different
# DATARATER_SLURM_DIR and ports.
#
# Exit codes: 0 ok; 1 usage/unexpected error; 3 `status` says not running;
# 77 Slurm cannot run here (no root to install, or a daemon would not start /
# the node never became idle) — callers may report "skipped: <message>".
set -euo pipefail

readonly EXIT_UNSUPPORTED=77
DIR="${DATARATER_SLURM_DIR:-/tmp/datarater-slurm}"
CTLD_PORT="${DATARATER_SLURM_CTLD_PORT:-6817}"
D_PORT="${DATARATER_SLURM_D_PORT:-6818}"
WAIT_SECS="${DATARATER_SLURM_WAIT:-60}"
MIN_JOB_AGE="${DATARATER_SLURM_MIN_JOB_AGE:-86400}"
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
CONF_CHANGED=0
NODE=localhost          # slurmd is started with -N localhost: independent of hostname
PARTITION=debug

CONF="$DIR/etc/slurm.conf"
MUNGE_DIR="$DIR/munge"
MUNGE_SOCKET="$MUNGE_DIR/munge.socket.2"
MUNGE_PID="$MUNGE_DIR/munged.pid"
CTLD_PID="$DIR/run/slurmctld.pid"
D_PID="$DIR/run/slurmd.pid"

log() { echo "local-cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }
# unsupported MESSAGE [LOGFILE...]: explain why Slurm cannot run here, exit 77.
unsupported() {
  local msg="$1"; shift
  log "UNSUPPORTED: $msg"
  local f
  for f in "$@"; do
    [ -s "$f" ] && { log "--- last lines of $f:"; tail -n 15 "$f" >&2; }
  done
  exit "$EXIT_UNSUPPORTED"
}

# pid_alive PIDFILE: true if the pid file names a live process.
pid_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid="$(tr -dc '0-9' <"$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# ---------------------------------------------------------------- install ---
install_packages() {
  local missing=() cmd
  for cmd in munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "missing ${missing[*]}; installing slurm-wlm and munge from Debian"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      unsupported "slurm-wlm/munge are not installed and this user cannot install them (not root, no passwordless sudo)"
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || unsupported "slurm-wlm/munge are not installed and apt-get is not available"
  # Non-interactive: works in CI with no stdin; never prompt for config files.
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq </dev/null || die "apt-get update failed"
  "${sudo[@]}" apt-get install -y -qq -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold slurm-wlm munge </dev/null >/dev/null \
    || die "apt-get install slurm-wlm munge failed"
}

# ------------------------------------------------------------------ munge ---
# A private munged (own key, socket and pid file under $DIR) so the cluster
# neither needs nor disturbs a system-wide munge. Slurm finds it through
# AuthInfo=socket=... in slurm.conf.
start_munge() {
  mkdir -p "$MUNGE_DIR"
  chmod 0700 "$MUNGE_DIR"
  if [ ! -s "$MUNGE_DIR/munge.key" ]; then
    log "creating munge key"
    if ! mungekey --create --keyfile="$MUNGE_DIR/munge.key" 2>/dev/null; then
      dd if=/dev/urandom of="$MUNGE_DIR/munge.key" bs=1024 count=1 status=none
    fi
  fi
  chmod 0400 "$MUNGE_DIR/munge.key"
  if pid_alive "$MUNGE_PID" && [ -S "$MUNGE_SOCKET" ]; then
    return 0
  fi
  rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock" "$MUNGE_PID"
  # --force: munged refuses some setups (e.g. running as root, /tmp ownership)
  # unless forced; this is a test cluster.
  munged --force --key-file="$MUNGE_DIR/munge.key" --socket="$MUNGE_SOCKET" \
    --pid-file="$MUNGE_PID" --log-file="$MUNGE_DIR/munged.log" \
    --seed-file="$MUNGE_DIR/munged.seed" </dev/null >>"$MUNGE_DIR/munged.log" 2>&1 \
    || unsupported "munged failed to start" "$MUNGE_DIR/munged.log"
  local i
  for ((i = 0; i < 50; i++)); do
    [ -S "$MUNGE_SOCKET" ] && break
    sleep 0.1
  done
  [ -S "$MUNGE_SOCKET" ] || unsupported "munged started but its socket never appeared" "$MUNGE_DIR/munged.log"
  # A credential round trip proves munge works for this user.
  munge --socket="$MUNGE_SOCKET" -n </dev/null | unmunge --socket="$MUNGE_SOCKET" >/dev/null 2>&1 \
    || unsupported "munge credential round trip failed" "$MUNGE_DIR/munged.log"
}

# ----------------------------------------------------------------- config ---
# Prints slurm.conf for one node with this machine's CPUs and memory.
render_conf() {
  local cpus mem user
  cpus="$(nproc)"
  mem="$(free -m | awk '/^Mem:/ {print $2}')"
  user="$(id -un)"
  cat <<EOF
# Generated by scripts/slurm/local-cluster.sh — regenerated on every start.
ClusterName=datarater
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$D_PORT
# Both daemons run as the invoking user (root here, so jobs can run as any
# submitter; as non-root, only that user's jobs can run).
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$DIR/spool/ctld
SlurmdSpoolDir=$DIR/spool/d
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$D_PID
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups and no systemd: track job processes through /proc, no binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
# No slurmdbd: sacct cannot work (see NOTES.md). Finished jobs are instead
# kept in slurmctld memory for MinJobAge seconds (scontrol/squeue see them),
# and every finished job/array task is appended to a jobcomp text file.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
MinJobAge=$MIN_JOB_AGE
MaxJobCount=100000
MaxArraySize=100001
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=60
SlurmdTimeout=300
InactiveLimit=0
KillWait=10
Waittime=0
# Trust the configured CPUs/RealMemory even if slurmd measures slightly less.
SlurmdParameters=config_overrides
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

write_conf() {
  mkdir -p "$DIR/etc" "$DIR/spool/ctld" "$DIR/spool/d" "$DIR/log" "$DIR/run"
  local tmp="$CONF.tmp.$$"
  render_conf >"$tmp"
  if [ -f "$CONF" ] && cmp -s "$tmp" "$CONF"; then
    rm -f "$tmp"
    CONF_CHANGED=0
    return 0
  fi
  mv "$tmp" "$CONF"
  CONF_CHANGED=1
  # Plugins that read cgroup.conf are not enabled; an explicit file keeps
  # slurmd from guessing a cgroup setup should anything still look for one.
  printf 'CgroupPlugin=autodetect\nIgnoreSystemd=yes\n' >"$DIR/etc/cgroup.conf"
}

# ---------------------------------------------------------------- daemons ---
node_state() {
  SLURM_CONF="$CONF" timeout 10 sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -n1 || true
}

ctld_up() {
  SLURM_CONF="$CONF" timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'
}

# wait_pidfile NAME PIDFILE LOG...: the daemons fork and write their pid file
# only after initialising, so give them up to 15 s before declaring failure.
wait_pidfile() {
  local name="$1" file="$2" i
  shift 2
  for ((i = 0; i < 150; i++)); do
    pid_alive "$file" && return 0
    sleep 0.1
  done
  unsupported "$name did not start (no live pid in $file after 15 s)" "$@"
}

# port_busy PORT: true if something already listens on 127.0.0.1:PORT.
port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_daemons() {
  export SLURM_CONF="$CONF"
  if ! pid_alive "$CTLD_PID"; then
    rm -f "$CTLD_PID"
    # Most likely another cluster (other DATARATER_SLURM_DIR) or a system slurm.
    port_busy "$CTLD_PORT" && die "port $CTLD_PORT is in use by another process; stop it or set DATARATER_SLURM_CTLD_PORT/DATARATER_SLURM_D_PORT"
    log "starting slurmctld"
    slurmctld -f "$CONF" </dev/null >>"$DIR/log/slurmctld.out" 2>&1 \
      || unsupported "slurmctld failed to start" "$DIR/log/slurmctld.out" "$DIR/log/slurmctld.log"
    wait_pidfile slurmctld "$CTLD_PID" "$DIR/log/slurmctld.out" "$DIR/log/slurmctld.log"
  fi
  if ! pid_alive "$D_PID"; then
    rm -f "$D_PID"
    port_busy "$D_PORT" && die "port $D_PORT is in use by another process; stop it or set DATARATER_SLURM_D_PORT"
    log "starting slurmd"
    slurmd -f "$CONF" -N "$NODE" </dev/null >>"$DIR/log/slurmd.out" 2>&1 \
      || unsupported "slurmd failed to start" "$DIR/log/slurmd.out" "$DIR/log/slurmd.log"
    wait_pidfile slurmd "$D_PID" "$DIR/log/slurmd.out" "$DIR/log/slurmd.log"
  fi
}

wait_idle() {
  local deadline=$((SECONDS + WAIT_SECS)) state=""
  while ((SECONDS < deadline)); do
    pid_alive "$CTLD_PID" || unsupported "slurmctld exited during startup" "$DIR/log/slurmctld.out" "$DIR/log/slurmctld.log"
    pid_alive "$D_PID" || unsupported "slurmd exited during startup" "$DIR/log/slurmd.out" "$DIR/log/slurmd.log"
    state="$(node_state)"
    case "$state" in
      idle | mixed | allocated | completing) return 0 ;;
      drain* | down*)
        # A node left down/drained by a previous run: bring it back once.
        SLURM_CONF="$CONF" scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 1
  done
  unsupported "node '$NODE' not idle after ${WAIT_SECS}s (state: '${state:-no answer}')" \
    "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log"
}

stop_pidfile() {  # stop_pidfile NAME PIDFILE
  local name="$1" file="$2" pid i
  if ! pid_alive "$file"; then
    rm -f "$file"
    return 0
  fi
  pid="$(tr -dc '0-9' <"$file")"
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not exit after 10 s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

print_usage_hint() {
  cat <<EOF
Slurm test cluster is up: node '$NODE' ($(nproc) CPUs, $(free -m | awk '/^Mem:/ {print $2}') MB), partition '$PARTITION'.
  state dir : $DIR      (logs in $DIR/log, finished jobs in $DIR/log/jobcomp.txt)
  use it    : eval "\$($SELF env)"
              sbatch --wrap 'hostname'; squeue; sinfo
  stop it   : $SELF stop
EOF
}

# ------------------------------------------------------------------- main ---
cmd_start() {
  install_packages
  write_conf
  start_munge
  if ((CONF_CHANGED)) && { pid_alive "$CTLD_PID" || pid_alive "$D_PID"; }; then
    log "configuration changed; restarting slurm daemons"
    stop_pidfile slurmd "$D_PID"
    stop_pidfile slurmctld "$CTLD_PID"
  fi
  local t0=$SECONDS
  start_daemons
  wait_idle
  log "node idle after $((SECONDS - t0)) s"
  print_usage_hint
}

cmd_stop() {
  stop_pidfile slurmd "$D_PID"
  stop_pidfile slurmctld "$CTLD_PID"
  stop_pidfile munged "$MUNGE_PID"
  rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
}

cmd_status() {
  local ok=0 name file
  for name in munged slurmctld slurmd; do
    case "$name" in
      munged) file="$MUNGE_PID" ;;
      slurmctld) file="$CTLD_PID" ;;
      slurmd) file="$D_PID" ;;
    esac
    if pid_alive "$file"; then
      echo "$name: running (pid $(tr -dc '0-9' <"$file"))"
    else
      echo "$name: not running"; ok=3
    fi
  done
  if [ -f "$CONF" ] && ctld_up; then
    echo "node $NODE: $(node_state)"
    SLURM_CONF="$CONF" squeue -h -o '%i %T' | awk 'END {print "jobs in queue: " NR}'
  else
    echo "slurmctld: not answering"; ok=3
  fi
  return "$ok"
}

cmd_env() {
  [ -f "$CONF" ] || die "no config at $CONF; run '$SELF start' first"
  echo "export SLURM_CONF=$CONF"
  echo "export DATARATER_SLURM_DIR=$DIR"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  env) cmd_env ;;
  purge) cmd_stop; rm -rf "$DIR" ;;
  *) echo "usage: $0 start|stop|restart|status|env|purge" >&2; exit 1 ;;
esac
