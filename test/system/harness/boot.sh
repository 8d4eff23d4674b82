#!/bin/bash
# boot.sh LOWER RUN -- foreground; returns when the container's systemd exits.
# (spec/systemd-harness.md; start.sh runs this under script(1) in the background)
set -euo pipefail
LOWER=${1:?usage: boot.sh LOWER RUN}
RUN=${2:?usage: boot.sh LOWER RUN}
export SDH_CG=${SDH_CGROOT:-/sys/fs/cgroup/unified}/sdharness-$(basename "$RUN")   # own cgroup-v2 subtree
HERE=$(dirname "$(readlink -f "$0")")
mkdir -p "$SDH_CG/supervisor" "$SDH_CG/payload"
echo $$ > "$SDH_CG/supervisor/cgroup.procs"   # unshare itself stays here, outside the container's cgroup tree
trap '' HUP                                    # a console hangup must not kill the supervisor
exec unshare --pid --fork --kill-child --mount --propagation private --uts --ipc --net \
     "$HERE/ns-init.sh" "$LOWER" "$RUN"
