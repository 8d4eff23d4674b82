#!/bin/bash
# sdexec.sh RUN CMD... -- run CMD inside the container (all its namespaces, its root), clean env.
# nsenter'd processes have the HOST's caps (PID 1's bounding set is not inherited): drop them again.
RUN=$1; shift; PID=$(cat "$RUN/pid")
# RUN/pid may be stale and reused by a host process once the container has exited: then refuse
grep -qx "$PID" "${SDH_CGROOT:-/sys/fs/cgroup/unified}/sdharness-$(basename "$RUN")/payload/init.scope/cgroup.procs" \
  || { echo "sdexec.sh: container $RUN is not running" >&2; exit 125; }
exec nsenter --target "$PID" --all -- /usr/bin/env -i \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb \
  SYSTEMD_PAGER= SYSTEMD_COLORS=0 DEBIAN_FRONTEND=noninteractive \
  setpriv --bounding-set -sys_time,-sys_module,-sys_boot,-sys_rawio,-syslog,-wake_alarm,-sys_pacct,-mac_admin,-mac_override,-block_suspend \
  "$@"
