/** The compiled binary's command line: version, help, multi-call names, refusals. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { symlinkSync } from "node:fs";
import pkg from "../../package.json" with { type: "json" };
import { BINARY, Daemon, ensureBinary, Scratch } from "./harness.ts";

const scratch = new Scratch();
beforeAll(ensureBinary);
afterAll(() => scratch.remove());

function run(argv: string[], opts: { argv0?: string } = {}) {
  const r = Bun.spawnSync(argv, { stdin: "ignore", env: { PATH: process.env.PATH ?? "" }, argv0: opts.argv0 });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("drbd-reactor", () => {
  test("--version prints the version from package.json", () => {
    expect(run([BINARY, "--version"])).toMatchObject({ code: 0, out: `drbd-reactor ${pkg.version}\n` });
    expect(run([BINARY, "-V"]).out).toBe(`drbd-reactor ${pkg.version}\n`);
  });

  test("--help describes the options", () => {
    const r = run([BINARY, "--help"]);
    expect(r.code).toBe(0);
    for (const option of ["--config", "--allow-tty", "--help", "--version", "SIGHUP"]) expect(r.out).toContain(option);
  });

  test("an unknown argument is a usage error naming it", () => {
    expect(run([BINARY, "--bogus"])).toMatchObject({ code: 2, err: 'drbd-reactor: unknown argument "--bogus" (see --help)\n' });
  });

  test("refuses a terminal without --allow-tty", () => {
    const config = scratch.write("tty.toml", "");
    // script(1) gives the daemon a pseudo-terminal as stdin/stdout/stderr.
    const r = run(["script", "-qec", `${BINARY} -c ${config}`, "/dev/null"]);
    expect(r.out).toContain("refusing to start in a terminal without --allow-tty. Did you mean drbd-reactorctl?");
    expect(r.code).toBe(1);
  });
});

describe("multi-call", () => {
  test("by program name through symlinks", () => {
    symlinkSync(BINARY, scratch.path("drbd-reactorctl"));
    symlinkSync(BINARY, scratch.path("ocf-rs-wrapper"));
    expect(run([scratch.path("drbd-reactorctl"), "--version"]).out).toBe(`drbd-reactorctl ${pkg.version}\n`);
    expect(run([scratch.path("ocf-rs-wrapper"), "--version"]).out).toBe(`ocf-rs-wrapper ${pkg.version}\n`);
    expect(run([scratch.path("drbd-reactorctl"), "status"])).toMatchObject({ code: 2 });
  });

  test("by first argument", () => {
    expect(run([BINARY, "ctl", "--version"]).out).toBe(`drbd-reactorctl ${pkg.version}\n`);
    expect(run([BINARY, "ocf-rs-wrapper", "--version"]).out).toBe(`ocf-rs-wrapper ${pkg.version}\n`);
  });
});

describe("bad configuration at start", () => {
  test("exit 1 with a message naming file, key and value", async () => {
    const config = scratch.write("bad.toml", 'statistics-poll-interval = "60s"\n[[debugger]]\n');
    const d = Daemon.start({ config, notify: false });
    try {
      expect(await d.exitCode()).toBe(1);
      expect(d.lines.join("\n")).toContain(`${config}: statistics-poll-interval: expected an integer ≥ 1, got "60s"`);
    } finally {
      await d.stop();
    }
  });

  test("a snippet's error names the snippet", async () => {
    const dir = scratch.path("snip");
    await Bun.write(`${dir}/10-debug.toml`, "[[debugger]]\nid = 5\n");
    const config = scratch.write("with-snippets.toml", `snippets = "${dir}"\n`);
    const d = Daemon.start({ config, notify: false });
    try {
      expect(await d.exitCode()).toBe(1);
      expect(d.lines.join("\n")).toContain(`${dir}/10-debug.toml: debugger[0].id:`);
    } finally {
      await d.stop();
    }
  });

  test("a missing config file", async () => {
    const d = Daemon.start({ config: scratch.path("nope.toml"), notify: false });
    try {
      expect(await d.exitCode()).toBe(1);
      expect(d.lines.join("\n")).toMatch(/nope\.toml.*(no such file|ENOENT)/);
    } finally {
      await d.stop();
    }
  });
});
