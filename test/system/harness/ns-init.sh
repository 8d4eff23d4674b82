#!/bin/bash
# Runs as PID 1 of the new pid namespace, in a private mount namespace, still on the host root.
set -euo pipefail
LOWER=$1; RUN=$2; M=$RUN/merged
HERE=$(dirname "$(readlink -f "$0")")
if [ -z "${SDH_STAGE2:-}" ]; then
  echo 0 > "$SDH_CG/payload/cgroup.procs"
  SDH_STAGE2=1 exec unshare --cgroup "$0" "$@"
fi
mkdir -p "$RUN/upper" "$RUN/ovl-work" "$M"
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$RUN/upper,workdir=$RUN/ovl-work" "$M"
mount -t proc -o nosuid,nodev,noexec proc "$M/proc"
for p in sys sysrq-trigger; do [ -e "$M/proc/$p" ] || continue; mount --bind "$M/proc/$p" "$M/proc/$p"; mount -o remount,bind,ro "$M/proc/$p"; done
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$M/sys"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$M/sys/fs/cgroup"
mount -t tmpfs -o mode=755,nosuid,size=4m tmpfs "$M/dev"
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  set -- $n; mknod -m 666 "$M/dev/$1" c "$2" "$3"; done
mkdir -p "$M/dev/pts" "$M/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$M/dev/pts"
ln -s pts/ptmx "$M/dev/ptmx"; ln -s /proc/self/fd "$M/dev/fd"
ln -s /proc/self/fd/0 "$M/dev/stdin"; ln -s /proc/self/fd/1 "$M/dev/stdout"; ln -s /proc/self/fd/2 "$M/dev/stderr"
touch "$M/dev/console"
if T=$(tty 2>/dev/null); then mount --bind "$T" "$M/dev/console"; fi
mount -t tmpfs -o mode=1777,nosuid,nodev,size=512m tmpfs "$M/tmp"
cd "$M"
pivot_root . .
umount -l .
cd /
# safety guard: never start systemd unless / really is the overlay and the host tree is gone
# (the host-only paths $LOWER, $RUN/upper and this script's directory must have vanished)
[ "$(stat -f -c %T /)" = overlayfs ] && [ ! -e "$RUN/upper" ] && [ ! -e "$LOWER" ] && [ ! -e "$HERE/ns-init.sh" ] \
  && [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && grep -qx '0::/' /proc/self/cgroup \
  || { echo "GUARD: not in container root" >&2; exit 99; }
[ -n "${DRY:-}" ] && exec /bin/sh -c "$DRY"      # debug: DRY='cat /proc/self/mountinfo' boot.sh …
SDH_DROP=-sys_time,-sys_module,-sys_boot,-sys_rawio,-syslog,-wake_alarm,-sys_pacct,-mac_admin,-mac_override,-block_suspend
exec env -i container=other TERM=linux \
    setpriv --bounding-set "$SDH_DROP" /lib/systemd/systemd --unit=multi-user.target --show-status=1 systemd.unified_cgroup_hierarchy=1 ${SD_ARGS:-}
