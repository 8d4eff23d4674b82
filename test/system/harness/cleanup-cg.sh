#!/bin/bash
# cleanup-cg.sh RUN [TIMEOUT_S] -- remove the cgroup subtree once the container has exited; waits (default 2 s)
# until no process is left in it and never touches the cgroups of an instance that is still running
CG=${SDH_CGROOT:-/sys/fs/cgroup/unified}/sdharness-$(basename "${1:?usage: cleanup-cg.sh RUN [TIMEOUT_S]}")
for _ in $(seq $((${2:-2}*20))); do
  [ -d "$CG" ] || break
  grep -qx 'populated 0' "$CG/cgroup.events" && find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null
  [ -d "$CG" ] && sleep 0.05
done; [ ! -d "$CG" ]
