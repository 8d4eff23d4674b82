# ---- shell functions for the scriptlets below (inserted by the Makefile) ----
# Only shell built-ins and (when present) systemctl are used, so the
# scriptlets also run in minimal chroots and images without systemd (where
# nothing is enabled, as with systemd-rpm-macros). No percent signs here: rpm
# would expand them as macros.
SERVICE=drbd-reactor.service
RELOAD_PATH=drbd-reactor-reload.path

have_systemctl() { command -v systemctl >/dev/null 2>&1; }

# True when systemd is the running init (not in a chroot, an image build or a
# container without systemd): only then are units started, stopped or reloaded.
systemd_running() { [ -d /run/systemd/system ]; }

is_enabled() { have_systemctl && systemctl --quiet is-enabled "$1" 2>/dev/null; }

# Enabling needs no running systemd: it only creates the wants link.
enable_unit() {
	if have_systemctl; then
		systemctl --quiet enable "$1" || echo "drbd-reactor: could not enable $1" >&2
	fi
}

disable_unit() {
	if have_systemctl; then systemctl --quiet disable "$1" 2>/dev/null || true; fi
}

daemon_reload() {
	if systemd_running && have_systemctl; then systemctl daemon-reload || true; fi
}

# Start the daemon if it is enabled (a preset or the admin may have said no).
# A failed start (an invalid configuration, say) is reported but does not
# fail the transaction.
start_service() {
	if systemd_running && have_systemctl && is_enabled "$SERVICE"; then
		systemctl start "$SERVICE" || echo "drbd-reactor: $SERVICE did not start; see: journalctl -u $SERVICE" >&2
	fi
}

# After an upgrade: restart the daemon if it runs, so the new binary is used.
restart_service() {
	if systemd_running && have_systemctl; then
		systemctl try-restart "$SERVICE" || echo "drbd-reactor: restarting $SERVICE failed; see: journalctl -u $SERVICE" >&2
	fi
}

# Before the files go away: stop watching the configuration, stop the daemon
# and OCF agent instances (their wrapper is about to disappear), disable.
stop_and_disable() {
	if systemd_running && have_systemctl; then
		systemctl stop "$RELOAD_PATH" drbd-reactor-reload.service "$SERVICE" || true
		systemctl stop 'ocf.rs@*.service' || true
	fi
	disable_unit "$RELOAD_PATH"
	disable_unit "$SERVICE"
}
# ---- end of the shell functions ----
