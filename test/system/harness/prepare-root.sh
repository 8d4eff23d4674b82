#!/bin/bash
# prepare-root.sh ROOT -- one-time tweaks of the debootstrap tree (run on the host, systemd NOT running)
set -euo pipefail
R=${1:?usage: prepare-root.sh ROOT}
for u in console-getty.service getty@tty1.service serial-getty@.service \
         sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount \
         systemd-modules-load.service e2scrub_reap.service \
         apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer; do
  ln -sf /dev/null "$R/etc/systemd/system/$u"
done
echo sdtest > "$R/etc/hostname"
rm -rf "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/*
