/**
 * LINBIT-DRBD-MIB cells from events2 input (spec monitoring.md §3.2). Every
 * expected value below is worked out by hand from the lines in this file,
 * not from the code under test.
 */
import { describe, expect, test } from "bun:test";
import {
  buildMib,
  MIB_COLUMNS,
  MIB_SCALARS,
  type MibTable,
  scaleSize,
} from "../../../../plugins/agentx/mib.ts";
import type { Oid, Value } from "../../../../plugins/agentx/protocol/types.ts";
import { withChildren } from "../../../../src/core/state.ts";
import { storeFromLines } from "../../../helpers/store.ts";
import type { Device, Resource } from "../../../../src/drbd/types.ts";

const VERSIONS = { utils: "9.29.0", kmod: "9.2.12" };
const LINBIT = [1, 3, 6, 1, 4, 1, 23302];
const ENTRY = [...LINBIT, 1, 2, 1];
const cellOid = (column: number, minor: number): Oid => [...ENTRY, column, minor];

function mibFrom(lines: readonly string[], peerStates = true): { mib: MibTable; errors: string[] } {
  const errors: string[] = [];
  const mib = buildMib(storeFromLines(lines).resources(), VERSIONS, { peerStates }, (m) => errors.push(m));
  return { mib, errors };
}

const int = (value: number): Value => ({ type: 2, value });
const str = (s: string): Value => ({ type: 4, value: new TextEncoder().encode(s) });
const gauge = (value: number): Value => ({ type: 66, value });
const c64 = (value: bigint): Value => ({ type: 70, value });
const TRUE = int(1);
const FALSE = int(2);
const NO_SUCH_OBJECT: Value = { type: 128 };
const NO_SUCH_INSTANCE: Value = { type: 129 };
const END: Value = { type: 130 };

/** Every value in OID order, by walking with next() from the null OID. */
function walk(mib: MibTable): { name: Oid; value: Value }[] {
  const out: { name: Oid; value: Value }[] = [];
  let start: Oid = [];
  for (;;) {
    const vb = mib.next(start, false, []);
    if (vb.value.type === 130) return out;
    out.push(vb);
    start = vb.name;
  }
}

// Two resources with devices, one without. r0 has two volumes and two peers
// in different states; r1 has one volume with extreme numbers.
const LINES = [
  "exists resource name:r0 role:Primary suspended:user force-io-failures:yes write-ordering:flush may_promote:no promotion_score:10102",
  "exists device name:r0 volume:0 minor:1000 disk:UpToDate client:no backing_dev:/dev/sdb quorum:yes open:yes size:1048576 read:5000 written:7 al-writes:40 bm-writes:50 upper-pending:60 lower-pending:70 al-suspended:no blocked:upper",
  "exists device name:r0 volume:1 minor:1001 disk:Diskless client:yes backing_dev:none quorum:no open:no size:4294967295 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:yes blocked:no",
  "exists connection name:r0 peer-node-id:1 conn-name:alpha connection:Connected role:Secondary",
  "exists connection name:r0 peer-node-id:2 conn-name:beta connection:Connecting role:Unknown",
  "exists peer-device name:r0 peer-node-id:1 conn-name:alpha volume:0 replication:Established peer-disk:UpToDate",
  "exists peer-device name:r0 peer-node-id:2 conn-name:beta volume:0 replication:Off peer-disk:DUnknown",
  "exists peer-device name:r0 peer-node-id:1 conn-name:alpha volume:1 replication:SyncSource peer-disk:Inconsistent",
  "exists peer-device name:r0 peer-node-id:2 conn-name:beta volume:1 replication:Behind peer-disk:Outdated",
  "exists resource name:r1 role:Secondary suspended:no force-io-failures:no may_promote:yes promotion_score:-5",
  "exists device name:r1 volume:0 minor:5 disk:Inconsistent client:no backing_dev:/dev/vg/lv quorum:yes size:4294967296 read:9007199254740991 written:3 al-writes:18446744073709551615 bm-writes:1 upper-pending:4294967296 lower-pending:18446744073709551615 al-suspended:no blocked:upper,lower",
  "exists resource name:lonely role:Secondary suspended:no may_promote:no promotion_score:0",
  "exists -",
];

describe("scalars", () => {
  test("ModuleVersion (kmod) and UtilsVersion (utils) sit on the object OID, without .0", () => {
    const { mib } = mibFrom(LINES);
    expect(mib.get([...LINBIT, 1, 1, 1])).toEqual(str("9.2.12"));
    expect(mib.get([...LINBIT, 1, 1, 2])).toEqual(str("9.29.0"));
    expect(MIB_SCALARS.map((s) => s.name)).toEqual(["ModuleVersion", "UtilsVersion"]);
  });

  test("present with no resources at all", () => {
    const mib = buildMib([], { utils: "0.0.0", kmod: "0.0.0" }, { peerStates: true });
    expect(mib.size).toBe(2);
    expect(walk(mib).map((vb) => vb.name)).toEqual([
      [...LINBIT, 1, 1, 1],
      [...LINBIT, 1, 1, 2],
    ]);
  });
});

describe("columns 1–23 by hand", () => {
  const { mib, errors } = mibFrom(LINES);

  test("minor 1000 (r0/0): every base column", () => {
    const expected: [number, Value][] = [
      [1, int(1000)],
      [2, str("r0")],
      [3, str("Primary")],
      [4, TRUE], // suspended:user counts as suspended
      [5, str("flush")],
      [6, TRUE], // force-io-failures:yes passes through (upstream: always false)
      [7, FALSE],
      [8, int(10102)],
      [9, int(0)],
      [10, str("UpToDate")],
      [11, str("/dev/sdb")],
      [12, FALSE],
      [13, TRUE],
      [14, gauge(1048576)], // 1 GiB in KiB fits u32: unit stays 1024
      [15, gauge(1024)],
      [16, c64(5_120_000n)], // read:5000 KiB = 5 120 000 bytes
      [17, c64(7168n)], // written:7 KiB
      [18, c64(40n)],
      [19, c64(50n)],
      [20, gauge(60)],
      [21, gauge(70)],
      [22, FALSE],
      [23, str("upper")],
    ];
    for (const [column, value] of expected) expect([column, mib.get(cellOid(column, 1000))]).toEqual([column, value]);
  });

  test("minor 1001 (r0/1): resource columns repeat; diskless client with backing_dev none", () => {
    expect(mib.get(cellOid(1, 1001))).toEqual(int(1001));
    expect(mib.get(cellOid(2, 1001))).toEqual(str("r0"));
    expect(mib.get(cellOid(3, 1001))).toEqual(str("Primary"));
    expect(mib.get(cellOid(8, 1001))).toEqual(int(10102));
    expect(mib.get(cellOid(9, 1001))).toEqual(int(1));
    expect(mib.get(cellOid(10, 1001))).toEqual(str("Diskless"));
    expect(mib.get(cellOid(11, 1001))).toEqual(str("none"));
    expect(mib.get(cellOid(12, 1001))).toEqual(TRUE);
    expect(mib.get(cellOid(13, 1001))).toEqual(FALSE);
    // Exactly 2^32-1 KiB still fits: no scaling.
    expect(mib.get(cellOid(14, 1001))).toEqual(gauge(4294967295));
    expect(mib.get(cellOid(15, 1001))).toEqual(gauge(1024));
    expect(mib.get(cellOid(16, 1001))).toEqual(c64(0n));
    expect(mib.get(cellOid(22, 1001))).toEqual(TRUE);
    expect(mib.get(cellOid(23, 1001))).toEqual(str("no"));
  });

  test("minor 5 (r1/0): defaults, negative score, scaling, clamps, huge counters", () => {
    expect(mib.get(cellOid(3, 5))).toEqual(str("Secondary"));
    expect(mib.get(cellOid(4, 5))).toEqual(FALSE);
    expect(mib.get(cellOid(5, 5))).toEqual(str("")); // write-ordering never reported
    expect(mib.get(cellOid(6, 5))).toEqual(FALSE);
    expect(mib.get(cellOid(7, 5))).toEqual(TRUE);
    expect(mib.get(cellOid(8, 5))).toEqual(int(-5));
    expect(mib.get(cellOid(11, 5))).toEqual(str("/dev/vg/lv"));
    // 2^32 KiB does not fit: 2^32 / 1024 = 4194304 MiB.
    expect(mib.get(cellOid(14, 5))).toEqual(gauge(4194304));
    expect(mib.get(cellOid(15, 5))).toEqual(gauge(1048576));
    // read: (2^53-1) KiB × 1024 = 2^63 - 1024 bytes.
    expect(mib.get(cellOid(16, 5))).toEqual(c64(9223372036854774784n));
    expect(mib.get(cellOid(17, 5))).toEqual(c64(3072n));
    // 2^64-1 parses to the double 2^64 (rounded); it is a u64, so it reads as 2^64-1.
    expect(mib.get(cellOid(18, 5))).toEqual(c64(18446744073709551615n));
    expect(mib.get(cellOid(19, 5))).toEqual(c64(1n));
    // Pending counts clamp at 2^32-1.
    expect(mib.get(cellOid(20, 5))).toEqual(gauge(4294967295));
    expect(mib.get(cellOid(21, 5))).toEqual(gauge(4294967295));
    expect(mib.get(cellOid(23, 5))).toEqual(str("upper,lower"));
  });

  test("a resource without devices has no rows; nothing was reported", () => {
    const names = walk(mib)
      .filter((vb) => vb.name.length === ENTRY.length + 2 && vb.name[ENTRY.length] === 2)
      .map((vb) => new TextDecoder().decode((vb.value as { value: Uint8Array }).value));
    expect(names).toEqual(["r1", "r0", "r0"]); // by minor: 5, 1000, 1001
    expect(errors).toEqual([]);
  });

  test("UTF-8 resource names are sent as UTF-8 bytes", () => {
    const { mib } = mibFrom([
      "exists resource name:dätä role:Secondary",
      "exists device name:dätä volume:0 minor:7 disk:UpToDate",
    ]);
    expect(mib.get(cellOid(2, 7))).toEqual({ type: 4, value: new Uint8Array([0x64, 0xc3, 0xa4, 0x74, 0xc3, 0xa4]) });
  });
});

describe("Size/SizeUnits scaling", () => {
  test("boundaries", () => {
    expect(scaleSize(0)).toEqual({ size: 0, unit: 1024 });
    expect(scaleSize(4294967295)).toEqual({ size: 4294967295, unit: 1024 });
    expect(scaleSize(4294967296)).toEqual({ size: 4194304, unit: 1048576 });
    // 2^52-1 KiB needs GiB: floor((2^52-1) / 2^20) = 2^32-1.
    expect(scaleSize(2 ** 52 - 1)).toEqual({ size: 4294967295, unit: 1073741824 });
    // 2^52 KiB would need a unit of 2^40 bytes, which overflows u32.
    expect(scaleSize(2 ** 52)).toBeNull();
  });

  test("a device too large for GiB units has neither Size nor SizeUnits, other columns stay", () => {
    const { mib, errors } = mibFrom([
      "exists resource name:big role:Primary",
      "exists device name:big volume:0 minor:9 disk:UpToDate size:4503599627370496",
    ]);
    expect(mib.get(cellOid(14, 9))).toEqual(NO_SUCH_INSTANCE);
    expect(mib.get(cellOid(15, 9))).toEqual(NO_SUCH_INSTANCE);
    expect(mib.get(cellOid(13, 9))).toEqual(FALSE);
    expect(mib.get(cellOid(16, 9))).toEqual(c64(0n));
    expect(walk(mib).some((vb) => vb.name[ENTRY.length] === 14)).toBe(false);
    expect(errors).toEqual([]);
  });
});

describe("peer states (columns 24–49)", () => {
  const { mib } = mibFrom(LINES);
  // Column numbers counted from the spec table: 24 peers, 25 Diskless … 34 UpToDate, 35 Off … 49 Behind.
  const PEERS = 24;
  const DISK = { Inconsistent: 30, Outdated: 31, DUnknown: 32, UpToDate: 34 };
  const REPL = { Off: 35, Established: 36, SyncSource: 42, Behind: 49 };

  test("minor 1000: alpha Established/UpToDate, beta Off/DUnknown", () => {
    const expected = new Map<number, number>([
      [PEERS, 2],
      [DISK.UpToDate, 1],
      [DISK.DUnknown, 1],
      [REPL.Established, 1],
      [REPL.Off, 1],
    ]);
    for (let column = 24; column <= 49; column++) {
      expect([column, mib.get(cellOid(column, 1000))]).toEqual([column, int(expected.get(column) ?? 0)]);
    }
  });

  test("minor 1001: alpha SyncSource/Inconsistent, beta Behind/Outdated", () => {
    const expected = new Map<number, number>([
      [PEERS, 2],
      [DISK.Inconsistent, 1],
      [DISK.Outdated, 1],
      [REPL.SyncSource, 1],
      [REPL.Behind, 1],
    ]);
    for (let column = 24; column <= 49; column++) {
      expect([column, mib.get(cellOid(column, 1001))]).toEqual([column, int(expected.get(column) ?? 0)]);
    }
  });

  test("minor 5 (no peers): all 26 counters present and 0", () => {
    for (let column = 24; column <= 49; column++) expect(mib.get(cellOid(column, 5))).toEqual(int(0));
  });

  test("two peers in the same state count 2 in one column", () => {
    const { mib } = mibFrom([
      "exists resource name:r role:Primary",
      "exists device name:r volume:3 minor:30 disk:UpToDate",
      "exists peer-device name:r peer-node-id:1 conn-name:a volume:3 replication:SyncSource peer-disk:Inconsistent",
      "exists peer-device name:r peer-node-id:2 conn-name:b volume:3 replication:SyncSource peer-disk:Inconsistent",
    ]);
    expect(mib.get(cellOid(24, 30))).toEqual(int(2));
    expect(mib.get(cellOid(30, 30))).toEqual(int(2));
    expect(mib.get(cellOid(42, 30))).toEqual(int(2));
  });

  test("a peer device whose volume has no local device is reported and skipped", () => {
    const { mib, errors } = mibFrom([
      "exists resource name:r7 role:Secondary",
      "exists device name:r7 volume:0 minor:70 disk:UpToDate",
      "exists connection name:r7 peer-node-id:2 conn-name:beta connection:Connected",
      "exists peer-device name:r7 peer-node-id:2 conn-name:beta volume:0 replication:Established peer-disk:UpToDate",
      "exists peer-device name:r7 peer-node-id:2 conn-name:beta volume:4 replication:SyncTarget peer-disk:UpToDate",
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("r7");
    expect(errors[0]).toContain("volume 4");
    expect(errors[0]).toContain("beta");
    expect(mib.get(cellOid(24, 70))).toEqual(int(1));
    expect(mib.get(cellOid(34, 70))).toEqual(int(1));
    expect(mib.get(cellOid(43, 70))).toEqual(int(0)); // SyncTarget of the unmapped peer not counted
  });

  test("peer-states off: only columns 1–23; 24+ are unknown objects", () => {
    const { mib } = mibFrom(LINES, false);
    expect(mib.columns).toBe(23);
    expect(mib.get(cellOid(23, 1000))).toEqual(str("upper"));
    expect(mib.get(cellOid(24, 1000))).toEqual(NO_SUCH_OBJECT);
    expect(walk(mib).every((vb) => vb.name.length === 10 || vb.name[ENTRY.length]! <= 23)).toBe(true);
    expect(mib.size).toBe(2 + 23 * 3);
  });
});

describe("order and size", () => {
  const { mib } = mibFrom(LINES);

  test("strictly ascending: scalars, then column by column, minors ascending", () => {
    const names = walk(mib).map((vb) => vb.name);
    expect(names).toHaveLength(2 + 49 * 3);
    expect(mib.size).toBe(names.length);
    expect(names.slice(0, 5)).toEqual([
      [...LINBIT, 1, 1, 1],
      [...LINBIT, 1, 1, 2],
      cellOid(1, 5),
      cellOid(1, 1000),
      cellOid(1, 1001),
    ]);
    expect(names[names.length - 1]).toEqual(cellOid(49, 1001));
    for (let i = 1; i < names.length; i++) {
      const a = names[i - 1]!.join(".");
      const b = names[i]!.join(".");
      expect([a, b, compareNumeric(names[i - 1]!, names[i]!) < 0]).toEqual([a, b, true]);
    }
  });

  test("every column number appears, matching MIB_COLUMNS", () => {
    const columns = new Set(walk(mib).slice(2).map((vb) => vb.name[ENTRY.length]));
    expect([...columns]).toEqual(MIB_COLUMNS.map((c) => c.column));
    expect(MIB_COLUMNS.map((c) => c.column)).toEqual(Array.from({ length: 49 }, (_, i) => i + 1));
  });
});

function compareNumeric(a: Oid, b: Oid): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

describe("get: noSuchObject vs noSuchInstance", () => {
  const { mib } = mibFrom(LINES);
  const cases: [string, Oid, Value][] = [
    ["scalar .0", [...LINBIT, 1, 1, 1, 0], NO_SUCH_INSTANCE],
    ["scalar with more sub-ids", [...LINBIT, 1, 1, 2, 5, 6], NO_SUCH_INSTANCE],
    ["unknown scalar", [...LINBIT, 1, 1, 3], NO_SUCH_OBJECT],
    ["drbdMeta itself", [...LINBIT, 1, 1], NO_SUCH_OBJECT],
    ["linbit itself", LINBIT, NO_SUCH_OBJECT],
    ["drbdTable", [...LINBIT, 1, 2], NO_SUCH_OBJECT],
    ["drbdEntry", ENTRY, NO_SUCH_OBJECT],
    ["column without instance", [...ENTRY, 2], NO_SUCH_INSTANCE],
    ["unknown minor", cellOid(2, 999), NO_SUCH_INSTANCE],
    ["cell with extra sub-id", [...cellOid(2, 1000), 0], NO_SUCH_INSTANCE],
    ["column 0", cellOid(0, 1000), NO_SUCH_OBJECT],
    ["column 50", cellOid(50, 1000), NO_SUCH_OBJECT],
    ["outside linbit", [1, 3, 6, 1, 2, 1, 1, 1, 0], NO_SUCH_OBJECT],
    ["null OID", [], NO_SUCH_OBJECT],
  ];
  for (const [what, oid, value] of cases) test(what, () => expect(mib.get(oid)).toEqual(value));
});

describe("next", () => {
  const { mib } = mibFrom(LINES);
  const END_OF_REGION: Oid = [1, 3, 6, 1, 4, 1, 23303];

  test("exclusive and inclusive start", () => {
    expect(mib.next(cellOid(3, 1000), false, [])).toEqual({ name: cellOid(3, 1001), value: str("Primary") });
    expect(mib.next(cellOid(3, 1000), true, [])).toEqual({ name: cellOid(3, 1000), value: str("Primary") });
    // Include on an OID that is not an instance behaves like exclusive.
    expect(mib.next(cellOid(3, 999), true, [])).toEqual({ name: cellOid(3, 1000), value: str("Primary") });
  });

  test("a column OID leads to its first cell; the last cell of a column to the next column", () => {
    expect(mib.next([...ENTRY, 10], false, []).name).toEqual(cellOid(10, 5));
    expect(mib.next(cellOid(10, 1001), false, []).name).toEqual(cellOid(11, 5));
    expect(mib.next(cellOid(10, 4_000_000_000), false, []).name).toEqual(cellOid(11, 5));
  });

  test("before the region: the first scalar (net-snmp sends region start with include=1)", () => {
    expect(mib.next(LINBIT, true, END_OF_REGION)).toEqual({ name: [...LINBIT, 1, 1, 1], value: str("9.2.12") });
    expect(mib.next([1, 3, 6, 1, 4, 1], false, [])).toEqual({ name: [...LINBIT, 1, 1, 1], value: str("9.2.12") });
    // The scalar's .0 lies after the scalar: next is UtilsVersion.
    expect(mib.next([...LINBIT, 1, 1, 1, 0], false, []).name).toEqual([...LINBIT, 1, 1, 2]);
  });

  test("end is exclusive; empty end is unbounded", () => {
    expect(mib.next(cellOid(1, 5), false, cellOid(1, 1000))).toEqual({ name: cellOid(1, 5), value: END });
    expect(mib.next(cellOid(1, 5), false, cellOid(1, 1001))).toEqual({ name: cellOid(1, 1000), value: int(1000) });
    expect(mib.next(cellOid(1, 5), true, cellOid(1, 6))).toEqual({ name: cellOid(1, 5), value: int(5) });
    expect(mib.next(cellOid(49, 1000), false, [])).toEqual({ name: cellOid(49, 1001), value: int(1) });
  });

  test("past the end", () => {
    expect(mib.next(cellOid(49, 1001), false, [])).toEqual({ name: cellOid(49, 1001), value: END });
    expect(mib.next(cellOid(49, 1001), false, END_OF_REGION)).toEqual({ name: cellOid(49, 1001), value: END });
    expect(mib.next(END_OF_REGION, true, [])).toEqual({ name: END_OF_REGION, value: END });
  });
});

describe("values the wire type cannot carry", () => {
  const device = (minor: number, volume: number): Device => ({
    name: "x",
    volume,
    minor,
    diskState: "UpToDate",
    client: false,
    backingDev: null,
    quorum: true,
    open: false,
    size: 1,
    read: 0,
    written: 0,
    alWrites: 0,
    bmWrites: 0,
    upperPending: 0,
    lowerPending: 0,
    alSuspended: false,
    blocked: "no",
  });
  const resource = (name: string, promotionScore: number, devices: Device[]): Resource =>
    withChildren(
      { name, role: "Secondary", suspended: false, forceIoFailures: false, writeOrdering: "", mayPromote: false, promotionScore },
      new Map(devices.map((d) => [d.volume, { ...d, name }])),
      new Map(),
    );

  test("an Integer32 out of range leaves that cell out and reports it", () => {
    const errors: string[] = [];
    const mib = buildMib([resource("x", 2 ** 31, [device(1, 0)])], VERSIONS, { peerStates: false }, (m) => errors.push(m));
    expect(mib.get(cellOid(8, 1))).toEqual(NO_SUCH_INSTANCE);
    expect(mib.get(cellOid(2, 1))).toEqual(str("x"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("ResourcePromotionScore");
  });

  test("Read/Written in bytes wrap modulo 2^64 like a u64 byte counter", () => {
    // written: 2^54 KiB = 2^64 bytes → 0; read: 2^54 + 4 KiB (a double is exact there) → 4096 bytes past the wrap.
    const { mib, errors } = mibFrom([
      "exists resource name:w role:Primary",
      "exists device name:w volume:0 minor:3 written:18014398509481984 read:18014398509481988",
    ]);
    expect(mib.get(cellOid(17, 3))).toEqual(c64(0n));
    expect(mib.get(cellOid(16, 3))).toEqual(c64(4096n));
    expect(errors).toEqual([]);
  });

  test("a minor that cannot be a sub-identifier drops the row and is reported", () => {
    const { mib, errors } = mibFrom(["exists resource name:neg role:Primary", "exists device name:neg volume:0 minor:-1"]);
    expect(mib.size).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("neg");
  });

  test("two devices with one minor: the first resource by name keeps the row", () => {
    const errors: string[] = [];
    const mib = buildMib([resource("b", 2, [device(4, 0)]), resource("a", 1, [device(4, 0)])], VERSIONS, { peerStates: true }, (m) =>
      errors.push(m),
    );
    expect(mib.get(cellOid(2, 4))).toEqual(str("a"));
    expect(mib.size).toBe(2 + 49);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("minor 4");
  });
});
