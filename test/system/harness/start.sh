#!/bin/bash
# start.sh LOWER RUN [TIMEOUT_S] -- boot in the background; wait until is-system-running says running/degraded.
set -euo pipefail
LOWER=${1:?usage: start.sh LOWER RUN [TIMEOUT_S]}; RUN=${2:?usage: start.sh LOWER RUN [TIMEOUT_S]}; TMO=${3:-60}
HERE=$(dirname "$(readlink -f "$0")")
CG=${SDH_CGROOT:-/sys/fs/cgroup/unified}/sdharness-$(basename "$RUN")
if [ -e "$CG" ]; then "$HERE/cleanup-cg.sh" "$RUN" || { echo "instance $RUN still running" >&2; exit 1; }; fi
rm -rf "$RUN"; mkdir -p "$RUN"
date +%s.%N > "$RUN/t0"
setsid script -qfec "$HERE/boot.sh $LOWER $RUN" "$RUN/console.log" </dev/null >/dev/null 2>&1 &
echo $! > "$RUN/script.pid"
for _ in $(seq $((TMO*20))); do
  PID=$(head -1 "$CG/payload/init.scope/cgroup.procs" 2>/dev/null || true)
  if [ -n "$PID" ]; then
    st=$(nsenter -t "$PID" -m -p -- /bin/systemctl is-system-running 2>/dev/null || true)
    case $st in running|degraded)
      echo "$PID" > "$RUN/pid"
      echo "$st after $(awk "BEGIN{print $(date +%s.%N)-$(cat "$RUN/t0")}") s (pid $PID)"; exit 0;; esac
  fi
  kill -0 "$(cat "$RUN/script.pid")" 2>/dev/null || { echo "container exited during boot; see $RUN/console.log" >&2; exit 1; }
  sleep 0.05
done
echo "boot timeout; state=${st:-?}" >&2; exit 1
