/**
 * Recorded events2 streams → expected exposition (sorted samples), with and
 * without enums: `test/fixtures/prometheus/NAME[.enums].prom` belongs to
 * `test/fixtures/events2/NAME.events2`. The expected files were checked value
 * by value against the streams' final state and spec monitoring.md §2.4.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CachedExposition, render } from "../../../../plugins/prometheus/collector.ts";
import { familiesFor } from "../../../../plugins/prometheus/families.ts";
import { CoreCounters } from "../../../../src/core/counters.ts";
import { parseLine } from "../../../../src/core/events2.ts";
import { ResourceStore } from "../../../../src/core/state.ts";
import { storeFromLines } from "../../../helpers/store.ts";

const FIXTURES = join(import.meta.dir, "../../../fixtures");
const versions = { utils: "9.29.0", kmod: "9.2.12" };

function storeOf(name: string): ResourceStore {
  const lines = readFileSync(join(FIXTURES, "events2", `${name}.events2`), "utf8").split("\n");
  return storeFromLines(lines.filter((line) => line !== "" && !line.startsWith("#")));
}

const core = { counters: new CoreCounters(), plugins: () => [] };
const samples = (text: string) =>
  text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .sort();

describe("golden exposition", () => {
  const golden = readdirSync(join(FIXTURES, "prometheus")).filter((f) => f.endsWith(".prom"));
  test("there are golden files with and without enums", () => {
    expect(golden.some((f) => f.endsWith(".enums.prom"))).toBe(true);
    expect(golden.some((f) => !f.endsWith(".enums.prom"))).toBe(true);
  });
  for (const file of golden) {
    test(file, async () => {
      const enums = file.endsWith(".enums.prom");
      const name = file.replace(/(\.enums)?\.prom$/, "");
      const text = await render({ resources: [...storeOf(name).resources()], versions, core, enums }, "text");
      const expected = readFileSync(join(FIXTURES, "prometheus", file), "utf8").split("\n").filter(Boolean);
      expect(samples(text)).toEqual(expected);
    });
  }
});

describe("exposition structure", () => {
  test("each family once with HELP and TYPE; samples contiguous; no duplicate series; labels escaped", async () => {
    const store = storeOf("all-create-change");
    // A resource name with characters that need escaping in label values.
    const tricky = parseLine('exists resource name:we"ird\\name role:Primary');
    if (tricky.kind === "error") throw new Error(tricky.message);
    store.apply(tricky, () => {});
    const text = await render({ resources: [...store.resources()], versions, core, enums: true }, "text");
    const lines = text.split("\n").filter(Boolean);
    const helps = lines.filter((l) => l.startsWith("# HELP ")).map((l) => l.split(" ")[2]);
    const types = lines.filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]);
    expect(new Set(helps).size).toBe(helps.length);
    expect(types).toEqual(helps);
    const series = lines.filter((l) => !l.startsWith("#")).map((l) => l.slice(0, l.lastIndexOf(" ")));
    expect(new Set(series).size).toBe(series.length);
    expect(text).toContain('drbd_resource_suspended{name="we\\"ird\\\\name"} 0');
    // Every family of the table appears (the fixture has every object type).
    for (const f of familiesFor(true)) {
      if (f.name.startsWith("drbd_peerdevice_resync") || f.name === "drbdreactor_plugin_up") continue; // need a resync / plugins
      expect(helps).toContain(f.name);
    }
  });

  test("OpenMetrics: same series names, # EOF, counters typed so names do not change", async () => {
    const store = storeOf("all-create-change");
    const input = { resources: [...store.resources()], versions, core, enums: false };
    const om = await render(input, "openmetrics");
    expect(om.trimEnd().endsWith("# EOF")).toBe(true);
    expect(om).toContain("# TYPE drbd_device_read_bytes counter\n");
    expect(om).toContain('drbd_device_read_bytes_total{name="some-resource",volume="0",minor="1000"} 10240');
    expect(om).toContain("# TYPE drbd_peerdevice_sent_bytes unknown\n");
    expect(samples(om).filter((l) => l !== "").map((l) => l.split(/[{ ]/)[0])).toEqual(
      samples(await render(input, "text")).map((l) => l.split(/[{ ]/)[0]),
    );
  });

  test("resync progress and split brain come from the state", async () => {
    const store = storeOf("all-create-change");
    for (const line of [
      "change peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0 replication:SyncSource peer-disk:Inconsistent peer-client:no done:37.50 received:5 sent:10 out-of-sync:2500 pending:30 unacked:40 dbdt1:0.24 eta:10",
      "change connection name:some-resource peer-node-id:1 conn-name:some-peer connection:StandAlone role:Unknown sync-state:SplitBrain",
    ]) {
      const e = parseLine(line);
      if (e.kind === "error") throw new Error(e.message);
      store.apply(e, () => {});
    }
    const text = await render({ resources: [...store.resources()], versions, core, enums: false }, "text");
    const labels = 'name="some-resource",conn_name="some-peer",peer_node_id="1"';
    expect(text).toContain(`drbd_peerdevice_resync_done_ratio{${labels},volume="0"} 0.375`);
    expect(text).toContain(`drbd_peerdevice_resync_eta_seconds{${labels},volume="0"} 10`);
    expect(text).toContain(`drbd_peerdevice_outofsync_bytes{${labels},volume="0"} 2560000`);
    expect(text).toContain(`drbd_connection_splitbrain{${labels}} 1`);
  });
});

describe("cache", () => {
  test("rendered once per state change", async () => {
    const store = storeOf("all-create-change");
    const counters = new CoreCounters();
    const cache = new CachedExposition({ store, core: { counters, plugins: () => [] }, versions, enums: false });
    const first = cache.text("text");
    expect(cache.text("text")).toBe(first); // same promise: not rendered again
    const e = parseLine("change device name:some-resource volume:0 minor:1000 disk:UpToDate read:99");
    if (e.kind === "error") throw new Error(e.message);
    store.apply(e, () => {});
    const second = cache.text("text");
    expect(second).not.toBe(first);
    expect(await second).toContain('drbd_device_read_bytes_total{name="some-resource",volume="0",minor="1000"} 101376');
    counters.lines++;
    expect(cache.text("text")).not.toBe(second); // self-monitoring counters changed
  });
});
