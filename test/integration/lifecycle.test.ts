/**
 * Daemon lifecycle of the compiled binary: reload, config dump, stop.
 * drbdsetup here is a script that prints a fixed initial dump and then waits,
 * like drbdsetup with nothing happening; the cluster behaviour itself is
 * covered by cluster.test.ts against the simulator.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parse } from "smol-toml";
import { PLUGIN_FACTORIES } from "../../plugins/registry.ts";
import { loadConfig } from "../../src/config/index.ts";
import { Daemon, Scratch, writeScript } from "./harness.ts";

const scratch = new Scratch();
afterAll(() => scratch.remove());
const running: Daemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

const DUMP = readFileSync(`${import.meta.dir}/../fixtures/events2/centreon-old-utils.events2`, "utf8")
  .split("\n")
  .filter((l) => l && !l.startsWith("#"))
  .join("\n");

/** A bin dir whose drbdsetup prints the dump, then blocks until stdin closes. */
function quietDrbdsetup(name: string): string {
  const bin = scratch.path(name);
  mkdirSync(bin, { recursive: true });
  const dump = scratch.write(`${name}.events2`, `${DUMP}\n`);
  writeScript(`${bin}/drbdsetup`, `cat ${dump}\nexec cat >/dev/null`);
  return bin;
}

function start(config: string, bin: string): Daemon {
  const d = Daemon.start({ config, pathPrefix: [bin] });
  running.push(d);
  return d;
}

describe("SIGHUP", () => {
  test("unchanged plugins keep running, changed ones restart with replay, removed ones stop", async () => {
    const snippets = scratch.path("reload.d");
    mkdirSync(snippets);
    writeFileSync(`${snippets}/a.toml`, '[[debugger]]\nid = "keep"\n');
    writeFileSync(`${snippets}/b.toml`, '[[debugger]]\nid = "before"\n');
    const config = scratch.write("reload.toml", `snippets = "${snippets}"\n[[log]]\nlevel = "debug"\n`);
    const d = start(config, quietDrbdsetup("reload-bin"));
    await d.waitForNotify("READY=1");
    await d.waitFor(/initial state complete: 1 resource/);
    // Two instances each log the dump's 6 updates.
    await d.waitFor(/^DEBUG \[debugger\] \{"type":"PeerDevice"/, { count: 4 });

    writeFileSync(`${snippets}/b.toml`, '[[debugger]]\nid = "after"\n');
    const mark = d.lines.length;
    const notified = d.notifications.length;
    d.signal("SIGHUP");
    await d.waitFor(/reload done: 1 plugin\(s\) kept, 1 started, 1 stopped/, { from: mark });
    const reloading = await d.waitForNotify("RELOADING=1", { from: notified });
    expect(d.notifications[reloading]).toMatch(/MONOTONIC_USEC=\d+/);
    await d.waitForNotify("READY=1", { from: reloading + 1 });
    // Only the new instance gets the replay: resource defaults, devices, each connection
    // followed by its peer devices (replayed here, unlike upstream), then the real resource state.
    const after = d.lines.slice(mark).filter((l) => l.startsWith("DEBUG [debugger] "));
    expect(after.map((l) => JSON.parse(l.slice(17)).type)).toEqual([
      "Resource",
      "Device",
      "Connection",
      "PeerDevice",
      "Connection",
      "PeerDevice",
      "Resource",
    ]);
  });

  test("an invalid config at reload keeps the running one and says why", async () => {
    const config = scratch.write("bad-reload.toml", "[[debugger]]\n");
    const d = start(config, quietDrbdsetup("bad-reload-bin"));
    await d.waitForNotify("READY=1");
    writeFileSync(config, "[[debugger]]\n[[debugger]]\n");
    const mark = d.lines.length;
    d.signal("SIGHUP");
    await d.waitFor(/reload failed, keeping the running configuration/, { from: mark });
    await d.waitFor(/debugger\[0\].*debugger\[1\]|duplicate/i, { from: mark });
    // Still alive and still answering signals.
    d.signal("SIGUSR1");
    await d.waitFor(/plugin config:/, { from: mark });
    expect(d.proc.exitCode).toBeNull();
  });
});

describe("SIGUSR1", () => {
  test("logs the running plugin configs as TOML that loads back to the same instances", async () => {
    const snippets = scratch.path("dump.d");
    mkdirSync(snippets);
    writeFileSync(`${snippets}/one.toml`, '[[debugger]]\nid = "first"\n');
    writeFileSync(`${snippets}/two.toml`, "[[debugger]]\n");
    const config = scratch.write("dump.toml", `snippets = "${snippets}"\n`);
    const d = start(config, quietDrbdsetup("dump-bin"));
    await d.waitForNotify("READY=1");
    const mark = d.lines.length;
    d.signal("SIGUSR1");
    await d.waitFor(/^INFO \[core\] plugin config:$/, { from: mark });
    // A second dump's header marks the end of the first one (stderr is read in order).
    d.signal("SIGUSR1");
    await d.waitFor(/^INFO \[core\] plugin config:$/, { from: mark, count: 2 });
    const start_ = d.lines.indexOf("INFO [core] plugin config:", mark);
    const body: string[] = [];
    for (const l of d.lines.slice(start_ + 1)) {
      if (/^(ERROR|WARN|INFO|DEBUG|TRACE) \[/.test(l)) break;
      body.push(l);
    }
    const dumped = scratch.write("dumped.toml", body.join("\n"));
    expect(Object.keys(parse(body.join("\n")))).toEqual(["debugger"]);
    const original = await loadConfig(config, PLUGIN_FACTORIES);
    const reloaded = await loadConfig(dumped, PLUGIN_FACTORIES);
    expect(reloaded.config.plugins.map((p) => p.identity).sort()).toEqual(original.config.plugins.map((p) => p.identity).sort());
  });
});

describe("SIGTERM", () => {
  test("exit 0 within 2 s with STOPPING=1, drbdsetup ended", async () => {
    const config = scratch.write("term.toml", "[[debugger]]\n");
    const d = start(config, quietDrbdsetup("term-bin"));
    await d.waitForNotify("READY=1");
    await d.waitFor(/initial state complete/);
    const t0 = performance.now();
    d.signal("SIGTERM");
    expect(await d.exitCode(3000)).toBe(0);
    expect(performance.now() - t0).toBeLessThan(2000);
    await d.waitForNotify("STOPPING=1");
    expect(d.matching(/^ERROR/)).toEqual([]);
  });

  test("exit 0 within 2 s while drbdsetup floods and every update is logged", async () => {
    const bin = scratch.path("flood-bin");
    mkdirSync(bin);
    // An endless stream of role flips: each line is an update for the debugger.
    writeScript(
      `${bin}/drbdsetup`,
      `while :; do echo "change resource name:r0 role:Primary suspended:no may_promote:no promotion_score:1"; echo "change resource name:r0 role:Secondary suspended:no may_promote:no promotion_score:1"; done`,
    );
    const log = scratch.path("flood.log");
    const config = scratch.write("flood.toml", `[[debugger]]\n[[log]]\nlevel = "debug"\nfile = "${log}"\n`);
    const d = start(config, bin);
    await d.waitForNotify("READY=1");
    const deadline = performance.now() + 10_000;
    while (!(await Bun.file(log).exists()) || (await Bun.file(log).size) < 100_000) {
      if (performance.now() > deadline) throw new Error("flood did not reach the log");
      await Bun.sleep(20);
    }
    const t0 = performance.now();
    d.signal("SIGTERM");
    expect(await d.exitCode(3000)).toBe(0);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
