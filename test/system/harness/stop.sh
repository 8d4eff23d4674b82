#!/bin/bash
# stop.sh RUN [TIMEOUT_S] -- clean poweroff (SIGRTMIN+4 to the container's PID 1), SIGKILL after timeout; remove cgroups
RUN=${1:?usage: stop.sh RUN [TIMEOUT_S]}; TMO=${2:-20}
HERE=$(dirname "$(readlink -f "$0")")
CG=${SDH_CGROOT:-/sys/fs/cgroup/unified}/sdharness-$(basename "$RUN")
PID=$(cat "$RUN/pid" 2>/dev/null); SP=$(cat "$RUN/script.pid" 2>/dev/null)
ours() { [ -n "$PID" ] && grep -qx "$PID" "$CG/payload/init.scope/cgroup.procs" 2>/dev/null; }  # not a reused pid
t0=$(date +%s.%N)
ours && kill -s SIGRTMIN+4 "$PID" 2>/dev/null
for _ in $(seq $((TMO*20))); do kill -0 "$SP" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$SP" 2>/dev/null; then echo "clean stop timed out, SIGKILL" >&2; ours && kill -KILL "$PID"; sleep 0.5; fi
# Anything still in the instance's own cgroup (no usable pid file: boot failed or timed out half-way):
# cgroup.kill ends exactly this instance's processes, whatever their pids.
if [ -e "$CG/cgroup.kill" ] && ! grep -qx 'populated 0' "$CG/cgroup.events" 2>/dev/null; then
  echo "processes left in $CG: cgroup.kill" >&2; echo 1 > "$CG/cgroup.kill"
fi
echo "stopped in $(awk "BEGIN{print $(date +%s.%N)-$t0}") s"
"$HERE/cleanup-cg.sh" "$RUN"
