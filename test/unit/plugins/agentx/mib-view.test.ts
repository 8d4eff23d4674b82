/**
 * MibView: cache-max and the 15 s GetNext burst (spec monitoring.md §3.5),
 * and GetBulk (RFC 2741 §7.2.3.3), with a fake clock.
 */
import { describe, expect, test } from "bun:test";
import { MAX_BULK_VARBINDS, MibView } from "../../../../plugins/agentx/mib-view.ts";
import type { Oid, SearchRange, Value, VarBind } from "../../../../plugins/agentx/protocol/types.ts";
import type { ReadonlyResourceStore, ResourceStore } from "../../../../src/core/state.ts";
import { feedLines, storeFromLines } from "../../../helpers/store.ts";

const VERSIONS = { utils: "9.29.0", kmod: "9.2.12" };
const LINBIT = [1, 3, 6, 1, 4, 1, 23302];
const MODULE_VERSION = [...LINBIT, 1, 1, 1];
const UTILS_VERSION = [...LINBIT, 1, 1, 2];
const ENTRY = [...LINBIT, 1, 2, 1];
const cellOid = (column: number, minor: number): Oid => [...ENTRY, column, minor];
const ROLE_1000 = cellOid(3, 1000);
const END_OF_REGION: Oid = [1, 3, 6, 1, 4, 1, 23303];
const END: Value = { type: 130 };
const str = (s: string): Value => ({ type: 4, value: new TextEncoder().encode(s) });

/** The store, counting how often the MIB was built (each build reads `resources()` once). */
class CountingStore implements ReadonlyResourceStore {
  builds = 0;
  constructor(readonly inner: ResourceStore) {}
  get generation() {
    return this.inner.generation;
  }
  get initialDumpComplete() {
    return this.inner.initialDumpComplete;
  }
  get size() {
    return this.inner.size;
  }
  get(name: string) {
    return this.inner.get(name);
  }
  resources() {
    this.builds++;
    return this.inner.resources();
  }
}

function setup(cacheMaxMs: number, peerStates = false) {
  const inner = storeFromLines([
    "exists resource name:r0 role:Secondary",
    "exists device name:r0 volume:0 minor:1000 disk:UpToDate",
    "exists -",
  ]);
  const store = new CountingStore(inner);
  const clock = { t: 1_000_000 };
  const view = new MibView({ store, versions: VERSIONS, peerStates, cacheMaxMs, now: () => clock.t });
  const role = () => view.get([{ start: ROLE_1000, include: false, end: [] }])[0]!.value;
  const nextRole = () => view.getNext([{ start: cellOid(3, 999), include: false, end: [] }])[0]!.value;
  const promote = () => feedLines(inner, ["change resource name:r0 role:Primary"]);
  return { inner, store, clock, view, role, nextRole, promote };
}

const range = (start: Oid, include = false, end: Oid = []): SearchRange => ({ start, include, end });
/** A varbind as "oid type", for compact expectations. */
const show = (vb: { name: Oid; value: { type: number } }) => `${vb.name.join(".")} ${vb.value.type}`;

describe("cache-max", () => {
  test("the first request builds, whatever the clock says", () => {
    const { store, role } = setup(60_000);
    expect(role()).toEqual(str("Secondary"));
    expect(store.builds).toBe(1);
  });

  test("dirty but not expired: the old view; dirty and expired (strictly more than cache-max): rebuilt", () => {
    const { store, clock, role, promote } = setup(60_000);
    role(); // built at t0
    promote();
    clock.t += 1000;
    expect(role()).toEqual(str("Secondary"));
    clock.t += 59_000; // exactly cache-max after the build: still cached
    expect(role()).toEqual(str("Secondary"));
    clock.t += 1;
    expect(role()).toEqual(str("Primary"));
    expect(store.builds).toBe(2);
  });

  test("expired but clean: no rebuild", () => {
    const { store, clock, role } = setup(1000);
    role();
    clock.t += 3_600_000;
    role();
    expect(store.builds).toBe(1);
  });

  test("cache-max 0 rebuilds on every dirty request", () => {
    const { store, clock, role, promote } = setup(0);
    role();
    promote();
    clock.t += 1;
    expect(role()).toEqual(str("Primary"));
    expect(store.builds).toBe(2);
  });
});

describe("the 15 s GetNext burst", () => {
  test("during a walk the view is frozen even when dirty and expired; 15 s of silence ends it", () => {
    const { store, clock, nextRole, promote } = setup(1000);
    expect(nextRole()).toEqual(str("Secondary")); // t0: builds, burst starts
    promote();
    clock.t += 5000;
    expect(nextRole()).toEqual(str("Secondary")); // frozen
    clock.t += 15_000; // exactly 15 s after the last GetNext: still the same walk
    expect(nextRole()).toEqual(str("Secondary"));
    clock.t += 15_001;
    expect(nextRole()).toEqual(str("Primary"));
    expect(store.builds).toBe(2);
  });

  test("every GetNext re-arms the burst", () => {
    const { clock, nextRole, promote } = setup(1000);
    nextRole();
    promote();
    for (let i = 0; i < 10; i++) {
      clock.t += 14_000;
      expect(nextRole()).toEqual(str("Secondary"));
    }
  });

  test("a response that is all endOfMibView ends the burst", () => {
    const { view, clock, nextRole, promote } = setup(1000);
    nextRole();
    promote();
    clock.t += 2000;
    expect(view.getNext([range(cellOid(23, 1000))])).toEqual([{ name: cellOid(23, 1000), value: END }]);
    clock.t += 1;
    expect(nextRole()).toEqual(str("Primary"));
  });

  test("endOfMibView on only some varbinds does not end it", () => {
    const { view, clock, nextRole, promote } = setup(1000);
    nextRole();
    promote();
    clock.t += 2000;
    const vbs = view.getNext([range(cellOid(23, 1000)), range(cellOid(3, 999))]);
    expect(vbs.map((vb) => vb.value.type)).toEqual([130, 4]);
    clock.t += 1;
    expect(nextRole()).toEqual(str("Secondary"));
  });

  test("Get neither starts nor extends a burst, and rebuilds on its own when dirty and expired", () => {
    const { store, clock, role, nextRole, promote } = setup(1000);
    nextRole(); // burst from t0
    promote();
    clock.t += 10_000;
    expect(role()).toEqual(str("Primary")); // Get applies the cache rule only
    feedLines(store.inner, ["change resource name:r0 role:Secondary"]);
    clock.t += 5001; // 15.001 s after the last GetNext: the Get did not re-arm the burst
    expect(nextRole()).toEqual(str("Secondary"));
    expect(store.builds).toBe(3);
  });

  test("GetBulk counts as a GetNext", () => {
    const { view, clock, nextRole, promote } = setup(1000);
    view.getBulk(0, 1, [range(cellOid(3, 999))]);
    promote();
    clock.t += 5000;
    expect(nextRole()).toEqual(str("Secondary"));
  });
});

describe("GetBulk", () => {
  // peer-states off, one device: the table ends with column 23 of minor 1000.
  const c = (column: number) => cellOid(column, 1000);

  test("non-repeaters once, then rounds continuing from the previous name, stopping after an all-end round", () => {
    const { view } = setup(60_000);
    const vbs = view.getBulk(1, 10, [range(MODULE_VERSION), range(c(21)), range(c(22))]);
    expect(vbs.map(show)).toEqual([
      show({ name: UTILS_VERSION, value: { type: 4 } }),
      // round 1 (22 is AlSuspended, a TruthValue; 23 is Blocked, a string)
      `${c(22).join(".")} 2`,
      `${c(23).join(".")} 4`,
      // round 2: the second repeater hit the end and keeps its name
      `${c(23).join(".")} 4`,
      `${c(23).join(".")} 130`,
      // round 3: both ended: last round
      `${c(23).join(".")} 130`,
      `${c(23).join(".")} 130`,
    ]);
  });

  test("the include flag applies to the first round only; each repeater keeps its own end", () => {
    const { view } = setup(60_000);
    const vbs = view.getBulk(0, 3, [range(c(21), true), range(c(20), false, c(22))]);
    expect(vbs.map(show)).toEqual([
      `${c(21).join(".")} 66`,
      `${c(21).join(".")} 66`,
      `${c(22).join(".")} 2`,
      `${c(21).join(".")} 130`,
      `${c(23).join(".")} 4`,
      `${c(21).join(".")} 130`,
    ]);
  });

  test("max-repetitions 0: only the non-repeaters; non-repeaters beyond the ranges: all are non-repeaters", () => {
    const { view } = setup(60_000);
    expect(view.getBulk(1, 0, [range(MODULE_VERSION), range(c(1))])).toEqual([
      { name: UTILS_VERSION, value: str("9.29.0") },
    ]);
    const vbs = view.getBulk(5, 100, [range(MODULE_VERSION), range(UTILS_VERSION)]);
    expect(vbs.map((vb) => vb.name)).toEqual([UTILS_VERSION, cellOid(1, 1000)]);
  });

  test("whole rounds only, capped at MAX_BULK_VARBINDS", () => {
    const { view } = setup(60_000, true); // 2 + 49 values
    const ranges = Array.from({ length: 1000 }, () => range(LINBIT, true, END_OF_REGION));
    const vbs: VarBind[] = view.getBulk(0, 65_535, ranges);
    // 51 values then one all-end round would be 52 rounds; the cap allows floor(65535 / 1000) = 65, so the end decides.
    expect(vbs).toHaveLength(52 * 1000);
    const capped = setup(60_000, true).view.getBulk(0, 65_535, Array.from({ length: 2000 }, () => range(LINBIT, true)));
    expect(capped).toHaveLength(Math.floor(MAX_BULK_VARBINDS / 2000) * 2000);
    expect(MAX_BULK_VARBINDS).toBe(65_535);
  });

  test("Get answers every range by its start name", () => {
    const { view } = setup(60_000);
    expect(view.get([range(MODULE_VERSION), range([...MODULE_VERSION, 0]), range(cellOid(60, 1))])).toEqual([
      { name: MODULE_VERSION, value: str("9.2.12") },
      { name: [...MODULE_VERSION, 0], value: { type: 129 } },
      { name: cellOid(60, 1), value: { type: 128 } },
    ]);
  });
});
