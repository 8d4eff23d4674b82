#!/bin/bash
# build-root.sh -- build the read-only lower tree for the systemd harness once per machine, print its path.
#
# A Debian bookworm minbase tree (debootstrap) with systemd as init, dbus, procps (/bin/kill for
# ExecReload), Debian's drbd-utils (the package under test depends on it) and curl (the container has
# its own network namespace, so endpoints are queried from inside). prepare-root.sh then masks what
# cannot work in a container.
#
# Cache: $DRBD_REACTOR_TEST_CACHE (default /var/cache/drbd-reactor-test)/root-<key>, where <key> hashes
# the suite, the package list, the architecture and the text of this script and prepare-root.sh: change
# any of them and the next run builds a new tree; a finished tree is never modified again (it may be the
# lowerdir of running containers). The cache lives outside the checkout, so `make clean` and
# `git clean -fdx` keep it, and every checkout on the machine shares it. Concurrent runs serialize on
# an flock; a tree appears under its final name only when complete (rename), so readers need no lock.
# Old trees (other keys) are left alone: remove them by hand when no test runs.
set -euo pipefail
HERE=$(dirname "$(readlink -f "$0")")
SUITE=bookworm
PACKAGES=systemd,systemd-sysv,dbus,procps,drbd-utils,curl
CACHE=${DRBD_REACTOR_TEST_CACHE:-/var/cache/drbd-reactor-test}
MIRROR=${DEBIAN_MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
ARCH=$(dpkg --print-architecture)
KEY=$({ echo "$SUITE $PACKAGES $ARCH"; cat "$HERE/build-root.sh" "$HERE/prepare-root.sh"; } | sha256sum | cut -c1-16)
ROOT=$CACHE/root-$KEY
if [ -d "$ROOT" ]; then echo "$ROOT"; exit 0; fi

[ "$(id -u)" = 0 ] || { echo "build-root.sh: must run as root (debootstrap)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "build-root.sh: debootstrap is missing (apt-get install debootstrap; make system-deps)" >&2; exit 1; }
mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock -w 1200 9 || { echo "build-root.sh: another build holds $CACHE/lock for 20 min" >&2; exit 1; }
if [ -d "$ROOT" ]; then echo "$ROOT"; exit 0; fi   # built while we waited

TMP=$ROOT.partial
LOG=$ROOT.log
t0=$(date +%s.%N)
for attempt in 1 2 3; do
  # debootstrap mounts /proc and /sys inside the target: give it a private mount namespace so nothing
  # stays mounted (and nothing leaks into the host's mount table) even if it is killed.
  rm -rf --one-file-system "$TMP"
  echo "build-root.sh: debootstrap $SUITE ($PACKAGES) from $MIRROR into $TMP (attempt $attempt, log $LOG)" >&2
  if unshare --mount --propagation private \
       debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$TMP" "$MIRROR" >"$LOG" 2>&1; then
    break
  fi
  tail -n 20 "$LOG" >&2
  [ "$attempt" = 3 ] && { echo "build-root.sh: debootstrap failed 3 times" >&2; exit 1; }
  sleep 5
done
"$HERE/prepare-root.sh" "$TMP"
chroot "$TMP" dpkg-query -W -f '${Package} ${Version}\n' > "$ROOT.packages"
mv "$TMP" "$ROOT"
echo "build-root.sh: built $ROOT in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N)-$t0}") s" >&2
echo "$ROOT"
