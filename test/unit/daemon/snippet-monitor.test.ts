import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SnippetMonitor } from "../../../src/daemon/snippet-monitor.ts";
import { LogHub, MemorySink } from "../../../src/log/logger.ts";

const dir = mkdtempSync(join(tmpdir(), "monitor-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Write a snippet and set its mtime to `mtimeMs`. */
function snippet(name: string, mtimeMs: number): string {
  const p = join(dir, name);
  writeFileSync(p, "[[debugger]]\n");
  utimesSync(p, mtimeMs / 1000, mtimeMs / 1000);
  return p;
}

test("warns once per snippet edited after the last load, ignoring files still being written", async () => {
  const now = Date.UTC(2026, 10, 21, 12, 0, 0);
  const lastLoad = now - 600_000;
  snippet("10-old.toml", lastLoad - 60_000);
  const edited = snippet("20-edited.toml", now - 120_000);
  snippet("30-fresh.toml", now - 5_000); // modified < 20 s ago: maybe still being written
  snippet("40-off.toml.disabled", now - 120_000);
  const sink = new MemorySink("trace");
  const monitor = new SnippetMonitor(dir, 0, lastLoad, new LogHub([sink]).logger("core"));
  expect(await monitor.check(now)).toEqual([edited]);
  expect(sink.lines).toEqual([
    `WARN [core] ${edited} changed after the last reload; run 'systemctl reload drbd-reactor' to apply it`,
  ]);
  await monitor.check(now + 1000);
  expect(sink.lines.length).toBe(1);
  monitor.stop();
});

test("a missing directory skips the check quietly (the reload reports it)", async () => {
  const sink = new MemorySink("info");
  const monitor = new SnippetMonitor(join(dir, "gone"), 0, 0, new LogHub([sink]).logger("core"));
  expect(await monitor.check()).toEqual([]);
  expect(sink.lines).toEqual([]);
});
