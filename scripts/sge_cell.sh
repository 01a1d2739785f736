#!/usr/bin/env bash
# A real single-node Sun Grid Engine cell on this machine, for the cluster test.
#
#   bash scripts/sge_cell.sh start   # install Debian's gridengine 8.1.9 if needed, start the cell
#   bash scripts/sge_cell.sh stop    # stop execd and qmaster by their PIDs
#
# The cell: queue all.q with SLOTS slots (default 4), parallel environments `omp`
# (allocation_rule $pe_slots) and `ddp` ($round_robin, control_slaves for qrsh -inherit),
# project `ds598` with projects enforced, a per-job consumable
# complex `gpus` worth 1 on this host, and min_uid/min_gid 0 so that root may submit (test machines).
# Needs root and apt. Every wait is bounded. Known traps handled here:
#  - the hostname resolves to 127.0.0.1, which reverse-resolves to `localhost`: clients are
#    refused until host_aliases maps the hostname to `localhost` (written before qmaster starts);
#  - a running execd reads a global configuration change only at its next load report (up to
#    40 s), so it is started after the configuration is final.
set -euo pipefail

export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
# where the daemons write their PIDs (spool folders of Debian's packages)
QMASTER_PID=/var/spool/gridengine/qmaster/qmaster.pid
EXECD_PIDS=/var/spool/gridengine/execd
HOST=$(hostname)
SLOTS=${SLOTS:-4}
COMMON=$SGE_ROOT/$SGE_CELL/common

wait_for() {  # wait_for SECONDS COMMAND...: retry COMMAND every 0.5 s until it succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "sge_cell: timed out waiting for: $*" >&2; return 1; }
    sleep 0.5
  done
}

install() {
  if ! command -v qconf >/dev/null || [ ! -x /usr/sbin/sge_qmaster ]; then
    export DEBIAN_FRONTEND=noninteractive
    debconf-set-selections <<EOF
gridengine-common shared/gridenginemaster string $HOST
gridengine-common shared/gridenginecell string default
gridengine-common shared/gridengineconfig boolean true
gridengine-client shared/gridenginemaster string $HOST
gridengine-client shared/gridenginecell string default
gridengine-client shared/gridengineconfig boolean true
postfix postfix/main_mailer_type select No configuration
EOF
    timeout 300 apt-get update -qq
    timeout 600 apt-get install -y -qq gridengine-master gridengine-exec gridengine-client >/dev/null
  fi
}

start() {
  install
  echo "$HOST" > "$COMMON/act_qmaster"
  echo "$HOST localhost" > "$COMMON/host_aliases"
  if ! running "$QMASTER_PID"; then
    /usr/sbin/sge_qmaster
  fi
  wait_for 60 qstat -f

  local tmp; tmp=$(mktemp -d)
  qconf -ah "$HOST" >/dev/null 2>&1 || true
  qconf -as "$HOST" >/dev/null 2>&1 || true
  # global configuration: root may submit, projects are enforced
  qconf -sconf global > "$tmp/global"
  sed -i -e 's/^min_uid .*/min_uid                      0/' -e 's/^min_gid .*/min_gid                      0/' "$tmp/global"
  if grep -q '^enforce_project' "$tmp/global"; then
    sed -i 's/^enforce_project .*/enforce_project              true/' "$tmp/global"
  else
    echo "enforce_project              true" >> "$tmp/global"
  fi
  sed -i 's/flush_time=[0-9:]*/flush_time=00:00:01/' "$tmp/global"  # qacct sees a job at once
  qconf -Mconf "$tmp/global" >/dev/null
  # consumable complex gpus
  qconf -sc > "$tmp/complex"
  # consumable per job (JOB), not per slot: `-pe omp 4 -l gpus=1` asks for one GPU, not four
  sed -i '/^gpus /d' "$tmp/complex"
  echo "gpus                gpus       INT         <=    YES         JOB        0        0" >> "$tmp/complex"
  qconf -Mc "$tmp/complex" >/dev/null
  # project ds598
  qconf -sprj ds598 >/dev/null 2>&1 || {
    printf 'name ds598\noticket 0\nfshare 0\nacl NONE\nxacl NONE\n' > "$tmp/prj"
    qconf -Aprj "$tmp/prj" >/dev/null
  }
  # parallel environment omp
  qconf -sp omp >/dev/null 2>&1 || {
    printf 'pe_name omp\nslots 999\nuser_lists NONE\nxuser_lists NONE\nstart_proc_args /bin/true\nstop_proc_args /bin/true\nallocation_rule $pe_slots\ncontrol_slaves FALSE\njob_is_first_task TRUE\nurgency_slots min\naccounting_summary FALSE\nqsort_args NONE\n' > "$tmp/pe"
    qconf -Ap "$tmp/pe" >/dev/null
  }
  # parallel environment ddp, for several nodes: slots spread over hosts, qrsh -inherit allowed
  qconf -sp ddp >/dev/null 2>&1 || {
    printf 'pe_name ddp\nslots 999\nuser_lists NONE\nxuser_lists NONE\nstart_proc_args /bin/true\nstop_proc_args /bin/true\nallocation_rule $round_robin\ncontrol_slaves TRUE\njob_is_first_task TRUE\nurgency_slots min\naccounting_summary FALSE\nqsort_args NONE\n' > "$tmp/pe"
    qconf -Ap "$tmp/pe" >/dev/null
  }
  # execution host with gpus=1
  if qconf -se "$HOST" >/dev/null 2>&1; then
    qconf -mattr exechost complex_values gpus=1 "$HOST" >/dev/null
  else
    printf 'hostname %s\nload_scaling NONE\ncomplex_values gpus=1\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' "$HOST" > "$tmp/eh"
    qconf -Ae "$tmp/eh" >/dev/null
  fi
  # queue all.q on this host, with omp
  # qconf -aq edits the default queue template with $EDITOR: let sed be the editor
  printf '#!/bin/sh\nsed -i -e "s/^hostlist .*/hostlist %s/" -e "s/^pe_list .*/pe_list omp ddp/" -e "s/^slots .*/slots %s/" -e "s/^shell_start_mode .*/shell_start_mode unix_behavior/" "$1"\n' \
    "$HOST" "$SLOTS" > "$tmp/edit"
  chmod +x "$tmp/edit"
  if qconf -sq all.q >/dev/null 2>&1; then
    EDITOR=$tmp/edit qconf -mq all.q >/dev/null
  else
    EDITOR=$tmp/edit qconf -aq all.q >/dev/null
  fi
  rm -rf "$tmp"

  # execd last, so it starts with the final configuration
  for pidfile in "$EXECD_PIDS"/*/execd.pid; do stop_pid "$pidfile"; done
  /usr/sbin/sge_execd
  wait_for 90 bash -c "qstat -f | grep -q 'all.q@' && ! qstat -f | grep 'all.q@' | grep -qE ' (au|u|E)\$'"
  echo "sge_cell: cell up on $HOST ($SLOTS slots, pe omp and ddp, project ds598, gpus=1)"
}

running() {  # running PIDFILE: the daemon it names is alive
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

stop_pid() {  # stop_pid PIDFILE: TERM, wait up to 30 s (qmaster takes ~9 s), then KILL
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}

stop() {
  for pidfile in "$EXECD_PIDS"/*/execd.pid; do stop_pid "$pidfile"; done
  stop_pid "$QMASTER_PID"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
