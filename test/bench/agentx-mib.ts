/**
 * In-process cost of the agentx MIB: build time for 1000 resources (one
 * volume, two peers each; 2 + 49 × 1000 values) and the cost of one
 * GetNext / Get lookup in it. Prints numbers; asserts nothing.
 *
 * Usage: bun test/bench/agentx-mib.ts [resources]
 */
import { buildMib, DRBD_ENTRY_OID } from "../../plugins/agentx/mib.ts";
import type { Oid } from "../../plugins/agentx/protocol/types.ts";
import { ResourceStore } from "../../src/core/state.ts";
import { feedLines } from "../helpers/store.ts";

const count = Number(process.argv[2] ?? 1000);
const store = new ResourceStore();
const feed = (line: string) => feedLines(store, [line]);
for (let i = 0; i < count; i++) {
  const r = `res${i}`;
  feed(`exists resource name:${r} role:Secondary suspended:no write-ordering:flush may_promote:no promotion_score:${i}`);
  feed(
    `exists device name:${r} volume:0 minor:${1000 + i} disk:UpToDate client:no backing_dev:/dev/vg/${r} quorum:yes size:${1048576 * (i + 1)} read:${i * 7} written:${i * 11} al-writes:${i} bm-writes:${i} upper-pending:0 lower-pending:0 al-suspended:no blocked:no`,
  );
  for (const peer of [1, 2]) {
    feed(`exists connection name:${r} peer-node-id:${peer} conn-name:node${peer} connection:Connected role:Secondary`);
    feed(
      `exists peer-device name:${r} peer-node-id:${peer} conn-name:node${peer} volume:0 replication:${peer === 1 ? "Established" : "SyncSource"} peer-disk:UpToDate`,
    );
  }
}
const versions = { utils: "9.29.0", kmod: "9.2.12" };
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Build: warm up, then the median of 21 builds.
for (let i = 0; i < 5; i++) buildMib(store.resources(), versions, { peerStates: true });
const builds: number[] = [];
let mib = buildMib(store.resources(), versions, { peerStates: true });
for (let i = 0; i < 21; i++) {
  const t = performance.now();
  mib = buildMib(store.resources(), versions, { peerStates: true });
  builds.push(performance.now() - t);
}
console.log(`build, ${count} resources (${mib.size} values): median ${median(builds).toFixed(2)} ms, max ${Math.max(...builds).toFixed(2)} ms`);

// Lookups: a walk (each GetNext continues from the previous name) and random starts.
const walkStart = performance.now();
let steps = 0;
for (let start: Oid = [], vb = mib.next(start, false, []); vb.value.type !== 130; vb = mib.next(start, false, [])) {
  start = vb.name;
  steps++;
}
const walkNs = ((performance.now() - walkStart) * 1e6) / steps;
console.log(`next() during a full walk: ${walkNs.toFixed(0)} ns per call (${steps} calls)`);

const starts: Oid[] = Array.from({ length: 100_000 }, (_, i) => [...DRBD_ENTRY_OID, 1 + (i % 49), 1000 + ((i * 7919) % count)]);
const end: Oid = [1, 3, 6, 1, 4, 1, 23303];
let t = performance.now();
for (const s of starts) mib.next(s, false, end);
console.log(`next() from random cells: ${(((performance.now() - t) * 1e6) / starts.length).toFixed(0)} ns per call`);
t = performance.now();
for (const s of starts) mib.get(s);
console.log(`get() of random cells: ${(((performance.now() - t) * 1e6) / starts.length).toFixed(0)} ns per call`);
