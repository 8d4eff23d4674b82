/**
 * The packages under test and helpers to look inside them.
 *
 * With PACKAGES_DIR set (`make package-check`) the release packages in that
 * directory are tested as they are. Otherwise the packages are built once
 * per test run with `make deb rpm` (gzip: a quarter of xz's build time)
 * into a scratch directory. All scratch directories live below one
 * temporary directory, which packages.test.ts removes at the end.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { type RunResult, runCommand } from "../helpers/run.ts";

/** Repository root. */
export const ROOT = join(import.meta.dir, "../..");
/** The binary the packages are built from. */
export const BINARY = join(ROOT, "dist/drbd-reactor");
/** Package version (from package.json, as the Makefile takes it). */
export const VERSION = pkg.version;

/** A built pair of packages. */
export interface Packages {
  readonly dir: string;
  readonly deb: string;
  readonly rpm: string;
  /** sha256 of dist/drbd-reactor right after the build. */
  readonly binarySha256: string;
}

export type { RunResult } from "../helpers/run.ts";

/** Run a command to completion (never through a shell), in the repository root unless told otherwise. */
export function run(
  argv: readonly string[],
  opts: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<RunResult> {
  return runCommand(argv, { cwd: ROOT, ...opts });
}

/** Run a command and fail with its output unless it exits 0. */
export async function must(argv: readonly string[], opts: Parameters<typeof run>[1] = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

export function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** File names of a version's packages. */
export function packageNames(version: string): { deb: string; rpm: string } {
  return { deb: `drbd-reactor_${version}-1_amd64.deb`, rpm: `drbd-reactor-${version}-1.x86_64.rpm` };
}

const scratchRoot = mkdtempSync(join(tmpdir(), "reactor-pkg-"));

/** Remove every scratch directory (and the packages built into them). */
export function removeScratch(): void {
  rmSync(scratchRoot, { recursive: true, force: true });
}

/** A fresh scratch directory (removed by {@link removeScratch}). */
export function scratchDir(name: string): string {
  return mkdtempSync(join(scratchRoot, `${name}-`));
}

/**
 * `make deb rpm` (or just `targets`) into a new directory. `vars` are extra
 * make variables (`VERSION=…`). The binary is not rebuilt (`-o`): every build of one test
 * run packages the same binary.
 */
export async function buildPackages(
  vars: readonly string[] = [],
  targets: readonly ("deb" | "rpm")[] = ["deb", "rpm"],
): Promise<Packages> {
  const dir = scratchDir("build");
  const version = vars.find((v) => v.startsWith("VERSION="))?.slice("VERSION=".length) ?? VERSION;
  await must(
    [
      "nice",
      "make",
      "--no-print-directory",
      "-o",
      "dist/drbd-reactor",
      ...targets,
      "DEB_COMPRESS=gzip",
      "RPM_COMPRESS=gzip",
      `PKGDIR=${dir}`,
      ...vars,
    ],
    { env: { ...(process.env as Record<string, string>), MAKEFLAGS: "" } },
  );
  const names = packageNames(version);
  return { dir, deb: join(dir, names.deb), rpm: join(dir, names.rpm), binarySha256: sha256(BINARY) };
}

let main: Promise<Packages> | undefined;

/** The packages under test (built on first use). */
export function packages(): Promise<Packages> {
  main ??= (async () => {
    const given = process.env.PACKAGES_DIR;
    if (given) {
      const names = packageNames(VERSION);
      const deb = join(given, names.deb);
      const rpm = join(given, names.rpm);
      const found = { dir: given, deb, rpm, binarySha256: sha256(BINARY) };
      for (const f of [found.deb, found.rpm]) if (!existsSync(f)) throw new Error(`PACKAGES_DIR has no ${f}`);
      return found;
    }
    if (!existsSync(BINARY)) await must(["make", "--no-print-directory", "build"]);
    return buildPackages();
  })();
  return main;
}

/** Unpack a .deb (data and control) into a new directory: `<dir>/root`, `<dir>/DEBIAN`. */
export async function extractDeb(deb: string): Promise<string> {
  const dir = scratchDir("deb");
  await must(["dpkg-deb", "-x", deb, join(dir, "root")]);
  await must(["dpkg-deb", "-e", deb, join(dir, "DEBIAN")]);
  return dir;
}

/** Unpack a .rpm's payload into a new directory. */
export async function extractRpm(rpm: string): Promise<string> {
  const dir = scratchDir("rpm");
  mkdirSync(dir, { recursive: true });
  await must(["sh", "-c", 'rpm2cpio "$1" | cpio -idm --quiet', "sh", rpm], { cwd: dir });
  return dir;
}

/**
 * Compare actual lines with a manifest file in packaging/manifest/. On a
 * mismatch the message lists the differing lines; with UPDATE_MANIFESTS=1
 * the file is rewritten instead.
 */
export function manifestDiff(name: string, header: string, actual: readonly string[]): string {
  const file = join(ROOT, "packaging/manifest", name);
  if (process.env.UPDATE_MANIFESTS === "1") {
    writeFileSync(file, `${header}\n${actual.join("\n")}\n`);
    return "";
  }
  const expected = readFileSync(file, "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  const missing = expected.filter((l) => !actual.includes(l));
  const extra = actual.filter((l) => !expected.includes(l));
  if (missing.length === 0 && extra.length === 0 && expected.join("\n") === actual.join("\n")) return "";
  return [
    `${file} does not match the package (UPDATE_MANIFESTS=1 rewrites it):`,
    ...missing.map((l) => `- ${l}`),
    ...extra.map((l) => `+ ${l}`),
    ...(missing.length + extra.length === 0 ? ["(same lines, different order)"] : []),
  ].join("\n");
}

/** Commands of a fake init system, each logging `name args…` to /calls.log. */
const FAKES: Record<string, string> = {
  // deb-systemd-helper's state, simplified: a state file once the unit's links
  // were recorded, an "enabled" marker while the links exist.
  "deb-systemd-helper": `
    q=; [ "$1" = --quiet ] && { q=1; shift; }
    action=$1; shift
    for unit; do
      case $action in
      was-enabled) [ ! -e /fake/state-$unit ] || [ -e /fake/enabled-$unit ] || exit 1 ;;
      debian-installed) [ -e /fake/state-$unit ] || exit 1 ;;
      enable) : > /fake/state-$unit; : > /fake/enabled-$unit ;;
      update-state) : > /fake/state-$unit ;;
      purge) rm -f /fake/state-$unit /fake/enabled-$unit ;;
      esac
    done`,
  "deb-systemd-invoke": "",
  systemctl: `
    action=; unit=
    for a; do
      case $a in -*) ;; *) if [ -z "$action" ]; then action=$a; elif [ -z "$unit" ]; then unit=$a; fi ;; esac
    done
    case $action in
    enable) : > /fake/enabled-$unit ;;
    disable) rm -f /fake/enabled-$unit ;;
    is-enabled) [ -e /fake/enabled-$unit ] || exit 1 ;;
    esac`,
};

/** Copy an executable and the shared libraries it needs into `root`. */
async function copyWithLibraries(root: string, file: string): Promise<void> {
  const libs = (await must(["ldd", file])).matchAll(/(\/\S+) \(0x/g);
  for (const path of [file, ...[...libs].map((m) => m[1]!)]) {
    await must(["cp", "-L", "--parents", path, root]);
  }
}

/**
 * A minimal root for chroot'ed maintainer scripts: dash as /bin/sh, rm,
 * /dev/null, and, as asked, fake `systemctl`/`deb-systemd-helper`/
 * `deb-systemd-invoke` that log their calls, and /run/systemd/system (the
 * sign of a running systemd).
 */
export async function makeChroot(
  root: string,
  opts: { fakes: readonly (keyof typeof FAKES)[]; systemdRunning: boolean },
): Promise<void> {
  for (const dir of ["usr/bin", "usr/sbin", "dev", "tmp", "var/tmp", "fake", "etc"]) {
    mkdirSync(join(root, dir), { recursive: true });
  }
  for (const link of ["bin", "sbin", "lib", "lib64"]) {
    const target = link === "lib64" ? "usr/lib64" : `usr/${link}`;
    mkdirSync(join(root, target), { recursive: true });
    await must(["ln", "-s", target, join(root, link)]);
  }
  await copyWithLibraries(root, "/usr/bin/dash");
  await copyWithLibraries(root, "/usr/bin/rm");
  await must(["ln", "-s", "dash", join(root, "usr/bin/sh")]);
  await must(["mknod", "-m", "666", join(root, "dev/null"), "c", "1", "3"]);
  if (opts.systemdRunning) mkdirSync(join(root, "run/systemd/system"), { recursive: true });
  for (const name of opts.fakes) {
    const file = join(root, "usr/bin", name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> /calls.log\n${FAKES[name]}\nexit 0\n`, { mode: 0o755 });
  }
}

/** The calls logged by the fakes since the last call (the log is then emptied). */
export function takeCalls(root: string): string[] {
  const file = join(root, "calls.log");
  if (!existsSync(file)) return [];
  const calls = readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
  rmSync(file);
  return calls;
}

/** Exactly the shared libraries a glibc-only program may need. */
export const GLIBC_LIBRARIES = ["ld-linux-x86-64.so.2", "libc.so.6", "libdl.so.2", "libm.so.6", "libpthread.so.0"];

/** The newest GLIBC_x.y symbol version the binary references. */
export async function newestGlibcVersion(binary: string): Promise<string> {
  const versions = [...(await must(["readelf", "-V", "--wide", binary])).matchAll(/GLIBC_(\d+(?:\.\d+)+)/g)].map(
    (m) => m[1]!,
  );
  const byVersion = (a: string, b: string) => {
    const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    }
    return 0;
  };
  return versions.sort(byVersion).at(-1)!;
}
