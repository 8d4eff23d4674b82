#!/bin/sh
# Turn a "make install" tree into a dpkg-deb input tree: Debian docs, lintian
# overrides, DEBIAN/ control files and maintainer scripts, md5sums, and fixed
# modes and mtimes (for byte-identical rebuilds).
#
# Usage: assemble.sh ROOT
# Environment: DEB_VERSION, DEPENDS, MAINTAINER, COMMIT, SOURCE_DATE_EPOCH.
set -eu

root=$1
here=$(dirname "$0")
: "${DEB_VERSION:?}" "${DEPENDS:?}" "${MAINTAINER:?}" "${COMMIT:?}" "${SOURCE_DATE_EPOCH:?}"
doc=$root/usr/share/doc/drbd-reactor

install -d -m 0755 "$doc" "$root/usr/share/lintian/overrides" "$root/DEBIAN"
install -m 0644 "$here/copyright" "$doc/copyright"
install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/drbd-reactor"

# One changelog entry for this build; the project's history is its git log.
date=$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")
{
	printf 'drbd-reactor (%s) unstable; urgency=medium\n\n' "$DEB_VERSION"
	printf '  * Built from git commit %s; see the git history for changes.\n\n' "$COMMIT"
	printf ' -- %s  %s\n' "$MAINTAINER" "$date"
} | gzip -9n > "$doc/changelog.Debian.gz"
chmod 0644 "$doc/changelog.Debian.gz"

for script in postinst prerm postrm; do
	install -m 0755 "$here/$script" "$root/DEBIAN/$script"
done

# Every file below /etc is a conffile.
(cd "$root" && find etc -type f | LC_ALL=C sort | sed 's|^|/|') > "$root/DEBIAN/conffiles"

# Installed-Size as dpkg-gencontrol computes it: KiB per file, rounded up, and
# 1 KiB for every directory and symlink.
size=$(cd "$root" && find . -path ./DEBIAN -prune -o ! -path . -printf '%y %s\n' |
	awk '$1 == "f" { kib += int(($2 + 1023) / 1024); next } { kib += 1 } END { print kib }')

sed -e "s|@DEB_VERSION@|$DEB_VERSION|" -e "s|@MAINTAINER@|$MAINTAINER|" \
	-e "s|@INSTALLED_SIZE@|$size|" -e "s|@DEPENDS@|$DEPENDS|" \
	"$here/control.in" > "$root/DEBIAN/control"

# md5sums of everything except conffiles (dpkg tracks those itself).
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\n' |
	LC_ALL=C sort | xargs -d '\n' md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

chmod 0755 "$root"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
