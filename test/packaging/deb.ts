/**
 * The .deb: lintian, file list, control data, the binary inside it, the
 * packaged configuration, manual pages, MIB, bash completion, and the
 * maintainer scripts (run in a chroot with a logging fake init system).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PLUGIN_FACTORIES } from "../../plugins/registry.ts";
import { loadConfig } from "../../src/config/index.ts";
import {
  extractDeb,
  GLIBC_LIBRARIES,
  makeChroot,
  manifestDiff,
  must,
  newestGlibcVersion,
  packages,
  ROOT,
  run,
  scratchDir,
  sha256,
  takeCalls,
  VERSION,
  type Packages,
} from "./fixture.ts";

let pkgs: Packages;
/** The unpacked package: `${dir}/root` (files) and `${dir}/DEBIAN` (control). */
let dir: string;
let root: string;

describe(".deb", () => {
  beforeAll(async () => {
    pkgs = await packages();
    dir = await extractDeb(pkgs.deb);
    root = join(dir, "root");
  }, 300_000);

  describe("lintian", () => {
    test(
      "reports nothing at all (-I -E --pedantic), every tag that cannot be fixed is overridden",
      async () => {
        const r = await run(["nice", "lintian", "-I", "-E", "--pedantic", "--fail-on", "error,warning", pkgs.deb]);
        const stderr = r.stderr.split("\n").filter((l) => l !== "" && !l.includes("running with root privileges"));
        expect({ code: r.code, stdout: r.stdout, stderr }).toEqual({ code: 0, stdout: "", stderr: [] });
      },
      300_000,
    );

    test("every override has a written reason", () => {
      const lines = readFileSync(join(ROOT, "packaging/debian/lintian-overrides"), "utf8").split("\n");
      let reasoned = false;
      const unexplained: string[] = [];
      for (const line of lines) {
        if (line.trim() === "") reasoned = false;
        else if (line.startsWith("#")) reasoned = true;
        else if (!reasoned) unexplained.push(line);
      }
      expect(unexplained).toEqual([]);
    });
  });

  describe("contents", () => {
    test("the file list matches packaging/manifest/deb.txt", async () => {
      const listing = await must(["dpkg-deb", "-c", pkgs.deb]);
      const lines = listing
        .trimEnd()
        .split("\n")
        .map((l) => {
          // drwxr-xr-x root/root         0 2026-11-22 01:01 ./etc/ [-> target]
          const m = /^(\S+) (\S+) +\d+ \S+ \S+ (.*)$/.exec(l);
          if (!m) throw new Error(`unexpected dpkg-deb -c line: ${l}`);
          return `${m[1]} ${m[2]} ${m[3]}`;
        });
      const header = "# dpkg-deb -c of the .deb without sizes and times: mode owner/group path [-> link target]";
      expect(manifestDiff("deb.txt", header, lines)).toBe("");
    });

    test("control: version, dependencies, conffiles and maintainer scripts", async () => {
      const field = async (name: string) => (await must(["dpkg-deb", "-f", pkgs.deb, name])).trim();
      expect(await field("Package")).toBe("drbd-reactor");
      expect(await field("Version")).toBe(`${VERSION}-1`);
      expect(await field("Architecture")).toBe("amd64");
      // libc6: the newest glibc symbol version the binary uses; nothing else but drbd-utils.
      const glibc = await newestGlibcVersion(join(root, "usr/sbin/drbd-reactor"));
      expect(glibc).toBe("2.17");
      expect(await field("Depends")).toBe(`libc6 (>= ${glibc}), drbd-utils (>= 9.19.0)`);
      for (const absent of ["Recommends", "Suggests", "Pre-Depends", "Conflicts"]) expect(await field(absent)).toBe("");
      expect(readFileSync(join(dir, "DEBIAN/conffiles"), "utf8")).toBe("/etc/drbd-reactor.toml\n");
      for (const script of ["postinst", "prerm", "postrm"]) {
        expect(statSync(join(dir, "DEBIAN", script)).mode & 0o777).toBe(0o755);
      }
      expect(existsSync(join(dir, "DEBIAN/preinst"))).toBe(false);
      // dpkg verifies these on installation (dpkg --verify); every non-conffile is listed.
      const sums = readFileSync(join(dir, "DEBIAN/md5sums"), "utf8").trimEnd().split("\n");
      expect(sums.map((l) => l.slice(34))).toContain("usr/sbin/drbd-reactor");
      expect(sums.some((l) => l.includes("etc/"))).toBe(false);
    });

    test("the binary is dist/drbd-reactor, unstripped, and runs under all three names", async () => {
      const binary = join(root, "usr/sbin/drbd-reactor");
      expect(sha256(binary)).toBe(pkgs.binarySha256);
      expect(await must([binary, "--version"])).toBe(`drbd-reactor ${VERSION}\n`);
      expect(await must([join(root, "usr/sbin/drbd-reactorctl"), "--version"])).toBe(`drbd-reactorctl ${VERSION}\n`);
      expect(await must([join(root, "usr/libexec/drbd-reactor/ocf-rs-wrapper"), "--version"])).toBe(
        `ocf-rs-wrapper ${VERSION}\n`,
      );
    });

    test("the binary needs glibc and nothing else", async () => {
      const needed = [...(await must(["readelf", "-d", join(root, "usr/sbin/drbd-reactor")])).matchAll(
        /\(NEEDED\)\s+Shared library: \[(.+)\]/g,
      )].map((m) => m[1]!);
      expect(needed.sort()).toEqual(GLIBC_LIBRARIES);
    });
  });

  describe("configuration", () => {
    test("/etc/drbd-reactor.toml is example/drbd-reactor.toml and loads without a single warning", async () => {
      const text = readFileSync(join(root, "etc/drbd-reactor.toml"), "utf8");
      expect(text).toBe(readFileSync(join(ROOT, "example/drbd-reactor.toml"), "utf8"));
      // The packaged snippet directory, as it will be on the system (empty).
      const scratch = scratchDir("conf");
      const snippets = join(scratch, "drbd-reactor.d");
      mkdirSync(snippets);
      expect(text).toContain('\nsnippets = "/etc/drbd-reactor.d"\n');
      const file = join(scratch, "drbd-reactor.toml");
      writeFileSync(file, text.replace('snippets = "/etc/drbd-reactor.d"', `snippets = "${snippets}"`));
      const { config, warnings } = await loadConfig(file, PLUGIN_FACTORIES);
      expect(warnings).toEqual([]);
      expect(config.plugins).toEqual([]);
    });

    test("it documents every top-level key and every plugin kind", () => {
      const text = readFileSync(join(root, "etc/drbd-reactor.toml"), "utf8");
      for (const key of ["snippets =", "statistics-poll-interval =", "snippets-monitoring-interval =", "[[log]]"]) {
        expect(text).toContain(key);
      }
      expect(text).toContain('level = "info"');
      expect(text).toContain("# file = ");
      for (const kind of ["debugger", "umh", "prometheus", "agentx", "promoter"]) {
        expect(text).toContain(`[[${kind}]]`);
        expect(text).toContain(`drbd-reactor.${kind}(5)`);
      }
    });

    test("there is an example for every plugin kind this build runs, and each loads without warnings", async () => {
      const examples = join(root, "usr/share/doc/drbd-reactor/examples");
      const scratch = scratchDir("examples");
      expect(readdirSync(examples).sort()).toEqual(
        ["drbd-reactor.toml", ...[...PLUGIN_FACTORIES.keys()].map((k) => `${k}.toml`)].sort(),
      );
      for (const name of readdirSync(examples).filter((n) => n !== "drbd-reactor.toml")) {
        cpSync(join(examples, name), join(scratch, name));
        const { config, warnings } = await loadConfig(join(scratch, name), PLUGIN_FACTORIES);
        expect({ name, warnings }).toEqual({ name, warnings: [] });
        expect(config.plugins.map((p): string => p.kind)).toContain(name.replace(/\.toml$/, ""));
      }
    });
  });

  describe("documentation", () => {
    const manPages = () =>
      ["man5", "man8"].flatMap((section) =>
        readdirSync(join(root, "usr/share/man", section)).map((f) => join(root, "usr/share/man", section, f)),
      );

    test("a manual page for the daemon, the ctl, the config file and every plugin", () => {
      const names = manPages().map((p) => p.split("/").at(-1));
      const plugins = ["debugger", "umh", "prometheus", "agentx", "promoter"];
      expect(names.sort()).toEqual(
        [
          "drbd-reactor.8.gz",
          "drbd-reactorctl.8.gz",
          "drbd-reactor.toml.5.gz",
          ...plugins.map((p) => `drbd-reactor.${p}.5.gz`),
        ].sort(),
      );
    });

    test("manual pages render without a single warning (as lintian checks them)", async () => {
      const env = { ...(process.env as Record<string, string>), LC_ALL: "C.UTF-8", MANROFFSEQ: "", MANWIDTH: "80" };
      for (const page of manPages()) {
        const r = await run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page], { env });
        expect({ page, code: r.code, stderr: r.stderr }).toEqual({ page, code: 0, stderr: "" });
      }
    });

    test("the MIB is where net-snmp looks by default, and net-snmp reads it", async () => {
      const mibs = join(root, "usr/share/snmp/mibs");
      expect(readdirSync(mibs)).toEqual(["LINBIT-DRBD-MIB.txt"]);
      expect(readFileSync(join(mibs, "LINBIT-DRBD-MIB.txt"), "utf8")).toBe(
        readFileSync(join(ROOT, "example/LINBIT-DRBD-MIB.mib"), "utf8"),
      );
      const init = await run(["snmptranslate", "-Dinit_mib", ".1"]);
      expect(`${init.stdout}${init.stderr}`).toMatch(/MIBDIRS.*[':]\/usr\/share\/snmp\/mibs[':]/);
      // By module name, from the packaged directory (plus the SMIv2 base modules Debian keeps in non-free).
      const oid = await must([
        "snmptranslate",
        "-M",
        `${mibs}:${join(ROOT, "test/fixtures/mibs")}`,
        "-m",
        "LINBIT-DRBD-MIB",
        "-On",
        "LINBIT-DRBD-MIB::drbdTable",
      ]);
      expect(oid.trim()).toBe(".1.3.6.1.4.1.23302.1.2");
    });

    test("README, COMPAT, copyright and changelog in the doc directory", () => {
      const doc = join(root, "usr/share/doc/drbd-reactor");
      expect(readFileSync(join(doc, "README.md"), "utf8")).toBe(readFileSync(join(ROOT, "README.md"), "utf8"));
      expect(readFileSync(join(doc, "COMPAT.md"), "utf8")).toBe(readFileSync(join(ROOT, "COMPAT.md"), "utf8"));
      expect(readFileSync(join(doc, "copyright"), "utf8")).toContain("License: Apache-2.0");
      const changelog = Bun.gunzipSync(readFileSync(join(doc, "changelog.Debian.gz")));
      expect(new TextDecoder().decode(changelog)).toStartWith(`drbd-reactor (${VERSION}-1) unstable; urgency=medium\n`);
    });

    test("bash completion: commands, options and snippet names", async () => {
      const scratch = scratchDir("completion");
      mkdirSync(join(scratch, "snippets"));
      for (const f of ["web.toml", "db.toml.disabled", "notes.txt"]) writeFileSync(join(scratch, "snippets", f), "");
      writeFileSync(join(scratch, "main.toml"), `snippets = "${join(scratch, "snippets")}"\n`);
      const script = `
        source "$1"
        c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _drbd_reactorctl; echo "\${COMPREPLY[*]}"; }
        c drbd-reactorctl st
        c drbd-reactorctl -c "$2" enable ""
        c drbd-reactorctl -c "$2" disable ""
        c drbd-reactorctl -c "$2" status ""
        c drbd-reactorctl -c "$2" rm --disabled ""
        c drbd-reactorctl edit --type ""
        c drbd-reactorctl evict --d
        complete -p drbd-reactorctl`;
      const out = await must([
        "bash",
        "-c",
        script,
        "bash",
        join(root, "usr/share/bash-completion/completions/drbd-reactorctl"),
        join(scratch, "main.toml"),
      ]);
      expect(out.split("\n")).toEqual([
        "status start-until",
        "db",
        "web",
        "web db",
        "db",
        "promoter prometheus agentx umh debugger",
        "--delay",
        "complete -F _drbd_reactorctl drbd-reactorctl",
        "",
      ]);
    });
  });

  describe("maintainer scripts (chroot, fake init system)", () => {
    /** Run DEBIAN/<script> with `args` inside `chrootDir`; returns the logged calls. */
    async function script(chrootDir: string, name: string, ...args: string[]): Promise<string[]> {
      await must(["chroot", chrootDir, "/bin/sh", "-e", `/DEBIAN/${name}`, ...args], {
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      });
      return takeCalls(chrootDir);
    }

    async function chrootWithScripts(systemdRunning: boolean): Promise<string> {
      const r = join(scratchDir("deb-chroot"), "root");
      mkdirSync(r);
      await makeChroot(r, { fakes: ["deb-systemd-helper", "deb-systemd-invoke", "systemctl"], systemdRunning });
      cpSync(join(dir, "DEBIAN"), join(r, "DEBIAN"), { recursive: true });
      return r;
    }

    const SERVICE = "drbd-reactor.service";
    const PATH_UNIT = "drbd-reactor-reload.path";

    test("install, upgrade, upgrade keeping the admin's choices, remove, purge (systemd running)", async () => {
      const r = await chrootWithScripts(true);
      // First installation: enabled and started; the path unit only recorded.
      expect(await script(r, "postinst", "configure", "")).toEqual([
        `deb-systemd-helper --quiet was-enabled ${SERVICE}`,
        `deb-systemd-helper enable ${SERVICE}`,
        `deb-systemd-helper debian-installed ${PATH_UNIT}`,
        `deb-systemd-helper update-state ${PATH_UNIT}`,
        "systemctl --system daemon-reload",
        `deb-systemd-invoke start ${SERVICE}`,
        `deb-systemd-helper --quiet was-enabled ${PATH_UNIT}`,
      ]);
      // Upgrade: restarted; still enabled.
      expect(await script(r, "prerm", "upgrade", "0.0.9-1")).toEqual([]);
      expect(await script(r, "postinst", "configure", `${VERSION}-1`)).toEqual([
        `deb-systemd-helper --quiet was-enabled ${SERVICE}`,
        `deb-systemd-helper enable ${SERVICE}`,
        `deb-systemd-helper debian-installed ${PATH_UNIT}`,
        `deb-systemd-helper --quiet was-enabled ${PATH_UNIT}`,
        `deb-systemd-helper update-state ${PATH_UNIT}`,
        "systemctl --system daemon-reload",
        `deb-systemd-invoke restart ${SERVICE}`,
        `deb-systemd-helper --quiet was-enabled ${PATH_UNIT}`,
      ]);
      // The admin disables the service and enables the path unit: an upgrade keeps both choices.
      await must(["rm", join(r, `fake/enabled-${SERVICE}`)]);
      writeFileSync(join(r, `fake/enabled-${PATH_UNIT}`), "");
      expect(await script(r, "postinst", "configure", `${VERSION}-1`)).toEqual([
        `deb-systemd-helper --quiet was-enabled ${SERVICE}`,
        `deb-systemd-helper update-state ${SERVICE}`,
        `deb-systemd-helper debian-installed ${PATH_UNIT}`,
        `deb-systemd-helper --quiet was-enabled ${PATH_UNIT}`,
        `deb-systemd-helper enable ${PATH_UNIT}`,
        `deb-systemd-helper update-state ${PATH_UNIT}`,
        "systemctl --system daemon-reload",
        `deb-systemd-invoke restart ${SERVICE}`,
        `deb-systemd-helper --quiet was-enabled ${PATH_UNIT}`,
        `deb-systemd-invoke start ${PATH_UNIT}`,
      ]);
      // Removal: the path unit first, then the daemon and OCF instances.
      expect(await script(r, "prerm", "remove")).toEqual([
        `deb-systemd-invoke stop ${PATH_UNIT} drbd-reactor-reload.service`,
        `deb-systemd-invoke stop ${SERVICE}`,
        "deb-systemd-invoke stop ocf.rs@*.service",
      ]);
      expect(await script(r, "postrm", "remove")).toEqual(["systemctl --system daemon-reload"]);
      // Purge: deb-systemd-helper forgets both units, the snippet directory goes.
      mkdirSync(join(r, "etc/drbd-reactor.d"));
      writeFileSync(join(r, "etc/drbd-reactor.d/web.toml"), "[[debugger]]\n");
      expect(await script(r, "postrm", "purge")).toEqual([
        "systemctl --system daemon-reload",
        `deb-systemd-helper purge ${SERVICE} ${PATH_UNIT}`,
      ]);
      expect(existsSync(join(r, "etc/drbd-reactor.d"))).toBe(false);
      expect(readdirSync(join(r, "fake"))).toEqual([]);
    });

    test("in a chroot without a running systemd nothing is started, stopped or reloaded", async () => {
      const r = await chrootWithScripts(false);
      expect(await script(r, "postinst", "configure", "")).toEqual([
        `deb-systemd-helper --quiet was-enabled ${SERVICE}`,
        `deb-systemd-helper enable ${SERVICE}`,
        `deb-systemd-helper debian-installed ${PATH_UNIT}`,
        `deb-systemd-helper update-state ${PATH_UNIT}`,
      ]);
      expect(await script(r, "prerm", "remove")).toEqual([]);
      expect(await script(r, "postrm", "remove")).toEqual([]);
      expect(await script(r, "postrm", "purge")).toEqual([`deb-systemd-helper purge ${SERVICE} ${PATH_UNIT}`]);
    });

    test("a failing start does not fail the installation", async () => {
      const r = await chrootWithScripts(true);
      const failing = '#!/bin/sh\necho "deb-systemd-invoke $*" >> /calls.log\nexit 1\n';
      writeFileSync(join(r, "usr/bin/deb-systemd-invoke"), failing);
      chmodSync(join(r, "usr/bin/deb-systemd-invoke"), 0o755);
      expect(await script(r, "postinst", "configure", "")).toContain(`deb-systemd-invoke start ${SERVICE}`);
    });
  });
});
