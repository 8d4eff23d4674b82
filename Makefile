# drbd-reactor (Bun). Every target installs what it needs when it is missing.
BUN_VERSION := 1.4.5
BUN ?= $(shell command -v bun 2>/dev/null)
ifeq ($(BUN),)
BUN := bun
endif
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH

BINARY := dist/drbd-reactor
SOURCES := $(shell find src plugins -name '*.ts' -o -name '*.json' 2>/dev/null) package.json
STAMP := node_modules/.install-stamp

.PHONY: all build test check demo bench clean tools system-deps install deb rpm packages package-check

all: build

# bun through npm (its postinstall fetches the runtime from the npm registry).
tools:
	@command -v bun >/dev/null 2>&1 || { echo "installing bun $(BUN_VERSION) with npm"; npm install -g --allow-scripts=bun bun@$(BUN_VERSION) >/dev/null 2>&1 || npm install -g bun@$(BUN_VERSION); }

# Debian packages the tests need, as "command:package": real peers for the
# end-to-end tests (Prometheus, net-snmp) and the packaging tools (lintian,
# rpmbuild/rpmlint, debootstrap, readelf, man, cpio). One apt-get run
# installs whichever are missing.
SYSTEM_DEPS := promtool:prometheus prometheus:prometheus snmpd:snmpd snmpwalk:snmp smilint:smitools \
  lintian:lintian rpmbuild:rpm rpmlint:rpmlint debootstrap:debootstrap readelf:binutils man:man-db cpio:cpio \
  systemd-analyze:systemd

system-deps:
	@missing=""; \
	for dep in $(SYSTEM_DEPS); do \
	  PATH="$$PATH:/usr/sbin:/sbin" command -v "$${dep%%:*}" >/dev/null 2>&1 && continue; \
	  case " $$missing " in *" $${dep#*:} "*) ;; *) missing="$$missing $${dep#*:}";; esac; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages for the tests:$$missing"; \
	  for i in 1 2 3; do \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null && break; \
	    echo "apt-get failed (attempt $$i), retrying"; sleep 5; \
	  done; \
	  for dep in $(SYSTEM_DEPS); do \
	    PATH="$$PATH:/usr/sbin:/sbin" command -v "$${dep%%:*}" >/dev/null 2>&1 || { echo "could not install $${dep#*:}"; exit 1; }; \
	  done; \
	fi

$(STAMP): package.json bun.lock | tools
	$(BUN) install --frozen-lockfile
	@touch $@

build: $(BINARY)

$(BINARY): $(STAMP) $(SOURCES)
	@mkdir -p dist
	$(BUN) build src/main.ts --compile --production --bytecode --format=esm --sourcemap \
	  --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
	  --outfile $(BINARY)
	@rm -f $(BINARY).map

check: $(STAMP)
	$(BUN) check

# Type check, then every test (unit, simulator, integration against the compiled binary).
test: $(BINARY) check system-deps
	@mkdir -p build
	$(BUN) test --timeout 30000 --reporter=junit --reporter-outfile=build/junit.xml

demo: $(BINARY)
	$(BUN) test/sim/demo.ts

bench: $(BINARY) system-deps
	$(BUN) test/bench/run.ts

# ---- Packages ---------------------------------------------------------------
# make deb / make rpm build dist/drbd-reactor_<version>-1_amd64.deb and
# dist/drbd-reactor-<version>-1.x86_64.rpm from dist/drbd-reactor (never
# stripped), both from the tree that "make install" stages.
VERSION ?= $(shell sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' package.json | head -n 1)
PKG_RELEASE := 1
PKGDIR ?= dist
DEB_COMPRESS ?= xz
RPM_COMPRESS ?= xz
MAINTAINER := drbd-reactor maintainers <maintainers@users.noreply.h-seed-4b9a60a5.example>
COMMIT = $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# drbd-utils: the daemon runs "drbdsetup events2 --full --poll". --full (all
# fields on every change line) is in 9.16.0; --poll without --now and the
# backing_dev field came with 9.17.0; peer-client changes are reported since
# 9.19.0 (umh rules and metrics read them). Later fields (open, added in
# newer releases) are optional and default to "no". Debian 12 has 9.22.0.
DRBD_UTILS_MIN := 9.19.0
# libc6: the newest glibc symbol version the binary references (the Bun
# runtime is linked against an old glibc on purpose). Evaluated in recipes,
# after the binary exists.
LIBC_MIN = $(shell readelf -V --wide $(BINARY) | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)

PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
UNITDIR ?= /usr/lib/systemd/system
SYSCONFDIR ?= /etc
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/drbd-reactor
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
MIBDIR ?= $(DATADIR)/snmp/mibs

UNITS := drbd-reactor.service drbd-reactor-reload.path drbd-reactor-reload.service ocf.rs@.service
MAN5 := drbd-reactor.toml.5 drbd-reactor.debugger.5 drbd-reactor.umh.5 drbd-reactor.prometheus.5 \
  drbd-reactor.agentx.5 drbd-reactor.promoter.5
MAN8 := drbd-reactor.8 drbd-reactorctl.8
EXAMPLE_PLUGINS := debugger umh prometheus agentx
MIB := example/LINBIT-DRBD-MIB.mib
# The default /etc/drbd-reactor.toml (a site build may ship its own).
CONFIG ?= example/drbd-reactor.toml

# Stage the installed file tree (used by both package formats; also fine for
# installing by hand). Modes are explicit so the umask does not matter.
install: $(BINARY)
	install -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR)/drbd-reactor $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(MIBDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(BINARY) $(DESTDIR)$(SBINDIR)/drbd-reactor
	ln -sfn drbd-reactor $(DESTDIR)$(SBINDIR)/drbd-reactorctl
	ln -sfnr $(DESTDIR)$(SBINDIR)/drbd-reactor $(DESTDIR)$(LIBEXECDIR)/drbd-reactor/ocf-rs-wrapper
	install -m 0644 $(addprefix packaging/systemd/,$(UNITS)) $(DESTDIR)$(UNITDIR)/
	install -m 0640 $(CONFIG) $(DESTDIR)$(SYSCONFDIR)/drbd-reactor.toml
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/drbd-reactor.d
	for page in $(MAN5) $(MAN8); do \
	  gzip -9n < packaging/man/$$page > $(DESTDIR)$(MANDIR)/man$${page##*.}/$$page.gz && \
	  chmod 0644 $(DESTDIR)$(MANDIR)/man$${page##*.}/$$page.gz || exit 1; \
	done
	install -m 0644 packaging/completion/drbd-reactorctl $(DESTDIR)$(BASHCOMPDIR)/drbd-reactorctl
	install -m 0644 $(MIB) $(DESTDIR)$(MIBDIR)/LINBIT-DRBD-MIB.txt
	install -m 0644 README.md COMPAT.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 example/drbd-reactor.toml $(DESTDIR)$(DOCDIR)/examples/drbd-reactor.toml
	for kind in $(EXAMPLE_PLUGINS); do \
	  install -m 0644 plugins/$$kind/sample.toml $(DESTDIR)$(DOCDIR)/examples/$$kind.toml || exit 1; \
	done

DEB_FILE = $(PKGDIR)/drbd-reactor_$(VERSION)-$(PKG_RELEASE)_amd64.deb
RPM_FILE = $(PKGDIR)/drbd-reactor-$(VERSION)-$(PKG_RELEASE).x86_64.rpm

# Each build stages in its own directory under build/, so concurrent builds
# (tests, other checkouts' make runs) do not clobber each other; the result
# is renamed into place.
deb: $(BINARY)
	@test -n "$(LIBC_MIN)" || { echo "readelf (binutils) found no glibc version in $(BINARY)"; exit 1; }
	@mkdir -p build $(PKGDIR)
	@stage=$$(mktemp -d build/deb.XXXXXX) && trap 'rm -rf "$$stage"' EXIT && \
	$(MAKE) --no-print-directory -s -o $(BINARY) install DESTDIR=$(CURDIR)/$$stage/root && \
	DEB_VERSION=$(VERSION)-$(PKG_RELEASE) DEPENDS="libc6 (>= $(LIBC_MIN)), drbd-utils (>= $(DRBD_UTILS_MIN))" \
	  MAINTAINER="$(MAINTAINER)" COMMIT=$(COMMIT) packaging/debian/assemble.sh $$stage/root && \
	dpkg-deb --root-owner-group -Z$(DEB_COMPRESS) --build $$stage/root $$stage/out.deb >/dev/null && \
	mv $$stage/out.deb $(DEB_FILE) && echo "built $(DEB_FILE)"

RPM_PAYLOAD_xz := w6T2.xzdio
RPM_PAYLOAD_gzip := w9.gzdio
rpm: $(BINARY)
	@test -n "$(RPM_PAYLOAD_$(RPM_COMPRESS))" || { echo "RPM_COMPRESS must be xz or gzip"; exit 1; }
	@mkdir -p build $(PKGDIR)
	@stage=$$(mktemp -d build/rpm.XXXXXX) && trap 'rm -rf "$$stage"' EXIT && \
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@RELEASE@|$(PKG_RELEASE)|' -e 's|@DRBD_UTILS_MIN@|$(DRBD_UTILS_MIN)|' \
	  -e 's|@PAYLOAD@|$(RPM_PAYLOAD_$(RPM_COMPRESS))|' \
	  -e "s|@CHANGELOG@|* $$(LC_ALL=C date -u -d @$(SOURCE_DATE_EPOCH) '+%a %b %d %Y') $(MAINTAINER) - $(VERSION)-$(PKG_RELEASE)\\n- Built from git commit $(COMMIT); see the git history for changes.|" \
	  packaging/rpm/drbd-reactor.spec.in | \
	awk -v common=packaging/rpm/scriptlet-functions.sh \
	  '$$0 == "#@FUNCTIONS@" { while ((getline line < common) > 0) print line; close(common); next } { print }' \
	  > $$stage/drbd-reactor.spec && \
	rpmbuild -bb --quiet --define "_topdir $(CURDIR)/$$stage" --define "project_dir $(CURDIR)" \
	  $$stage/drbd-reactor.spec >$$stage/log 2>&1 || { cat $$stage/log; exit 1; }; \
	mv $$stage/RPMS/x86_64/drbd-reactor-$(VERSION)-$(PKG_RELEASE).x86_64.rpm $(RPM_FILE) && echo "built $(RPM_FILE)"

packages: deb rpm

# Release checks: build both packages twice in the release formats and
# compare them byte for byte, then run the packaging tests on them.
package-check: $(BINARY) system-deps
	@rm -rf build/package-check && mkdir -p build/package-check
	$(MAKE) --no-print-directory deb rpm PKGDIR=build/package-check/1
	$(MAKE) --no-print-directory deb rpm PKGDIR=build/package-check/2
	cd build/package-check && for f in 1/*; do cmp "$$f" "2/$${f#1/}" || { echo "not reproducible: $${f#1/}"; exit 1; }; done
	@echo "reproducible: $$(cd build/package-check/1 && ls | tr "\n" " ")"
	PACKAGES_DIR=$(CURDIR)/build/package-check/1 nice $(BUN) test --timeout 600000 test/packaging

clean:
	rm -rf dist build node_modules/.install-stamp
