/**
 * The systemd units: `systemd-analyze verify` prints nothing for any of them
 * (run against a root made of the packaged files plus the host's systemd
 * units, so dependencies, ExecStart= binaries and Documentation= manual pages
 * all resolve), and the settings the package promises are there.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { extractDeb, packages, run, scratchDir } from "./fixture.ts";

let root: string;
const unit = (name: string) => readFileSync(join(root, "usr/lib/systemd/system", name), "utf8");

describe("systemd units", () => {
  beforeAll(async () => {
    root = join(await extractDeb((await packages()).deb), "root");
  }, 300_000);

  describe("systemd-analyze verify", () => {
    test("prints nothing for every shipped unit (the template as an instance)", async () => {
      // The package's files, the host's own units (targets, dbus, ...) and the
      // programs the units run: /bin/kill and systemctl (merged /usr).
      const vroot = join(scratchDir("verify"), "root");
      cpSync(root, vroot, { recursive: true, verbatimSymlinks: true });
      cpSync("/usr/lib/systemd/system", join(vroot, "usr/lib/systemd/system"), {
        recursive: true,
        force: false,
        verbatimSymlinks: true,
      });
      mkdirSync(join(vroot, "usr/bin"), { recursive: true });
      cpSync("/usr/bin/kill", join(vroot, "usr/bin/kill"));
      cpSync("/usr/bin/systemctl", join(vroot, "usr/bin/systemctl"));
      symlinkSync("usr/bin", join(vroot, "bin"));
      const units = [
        "drbd-reactor.service",
        "drbd-reactor-reload.path",
        "drbd-reactor-reload.service",
        "ocf.rs@r0.service",
      ];
      // MANPATH: Documentation=man:... must name pages the package ships.
      const env = { ...(process.env as Record<string, string>), MANPATH: join(vroot, "usr/share/man") };
      const r = await run(["systemd-analyze", "verify", `--root=${vroot}`, ...units], { env });
      expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({ code: 0, out: "" });

      // The check is real: it notices a typo, a missing program and a missing page.
      const typos = unit("drbd-reactor.service").replace("Restart=", "Restartt=").replace("drbd-reactor(8)", "nope(8)");
      await Bun.write(join(vroot, "usr/lib/systemd/system/drbd-reactor.service"), typos);
      rmSync(join(vroot, "usr/bin/kill"));
      const bad = await run(["systemd-analyze", "verify", `--root=${vroot}`, "drbd-reactor.service"], { env });
      expect(bad.stdout + bad.stderr).toContain("Unknown key 'Restartt'");
      expect(bad.stdout + bad.stderr).toContain("man nope(8)");
      expect(bad.stdout + bad.stderr).toContain("Command /bin/kill is not executable");
    }, 120_000);
  });

  describe("unit settings", () => {
    test("drbd-reactor.service: notify, reload by SIGHUP, restart on failure, documented", () => {
      const text = unit("drbd-reactor.service");
      for (const line of [
        "Type=notify",
        "ExecStart=/usr/sbin/drbd-reactor",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "KillMode=mixed",
        "Documentation=man:drbd-reactor(8) man:drbd-reactor.toml(5) man:drbd-reactorctl(8)",
        "WantedBy=multi-user.target",
      ]) {
        expect(text.split("\n")).toContain(line);
      }
      // The runtime's JIT (which bun:ffi needs for sd_notify) must not be forbidden.
      expect(text.split("\n").filter((l) => l.startsWith("MemoryDenyWriteExecute="))).toEqual([]);
    });

    test("the reload pair: no trigger limit, no start limit, installable path unit", () => {
      const path = unit("drbd-reactor-reload.path").split("\n");
      for (const line of [
        "PathChanged=/etc/drbd-reactor.d",
        "Unit=drbd-reactor-reload.service",
        "TriggerLimitIntervalSec=0",
        "WantedBy=multi-user.target",
      ]) {
        expect(path).toContain(line);
      }
      const service = unit("drbd-reactor-reload.service").split("\n");
      for (const line of [
        "Type=oneshot",
        "StartLimitIntervalSec=0",
        "After=drbd-reactor.service",
        "ExecStart=/usr/bin/systemctl try-reload-or-restart drbd-reactor.service",
      ]) {
        expect(service).toContain(line);
      }
      expect(service.some((l) => l.startsWith("[Install]"))).toBe(false);
    });

    test("ocf.rs@.service: the wrapper's real variable name (not upstream's monitor_inverval)", () => {
      const text = unit("ocf.rs@.service");
      expect(text).not.toContain("inverval");
      for (const line of [
        "Type=notify",
        "Restart=always",
        "Environment=OCF_ROOT=/usr/lib/ocf",
        "Environment=OCF_RESOURCE_INSTANCE=%i",
        "Environment=monitor_interval=30",
        "ExecStart=/usr/libexec/drbd-reactor/ocf-rs-wrapper start-and-monitor %n",
        "ExecStopPost=/usr/libexec/drbd-reactor/ocf-rs-wrapper stop %n",
      ]) {
        expect(text.split("\n")).toContain(line);
      }
    });
  });
});
