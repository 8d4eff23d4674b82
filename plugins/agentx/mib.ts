/**
 * The LINBIT-DRBD-MIB data (spec monitoring.md §3.2): which value sits under
 * which OID, computed from a snapshot of the daemon's resources. Pure: no
 * clock, no I/O; {@link MibView} decides when to rebuild.
 *
 * Layout (`linbit` = 1.3.6.1.4.1.23302):
 * - `linbit.1.1.1` ModuleVersion and `linbit.1.1.2` UtilsVersion. The value
 *   sits on the object's own OID, without the `.0` instance suffix SNMP
 *   normally uses for scalars: upstream does so, and scripts walking or
 *   getting these names expect it.
 * - `linbit.1.2.1.<column>.<minor>`: one row per DRBD device (volume),
 *   indexed by its minor. Resource columns repeat in each row of that
 *   resource; resources without devices have no rows.
 *
 * Departures from upstream (recorded in COMPAT.md by the lead):
 * - `Read`/`Written` are bytes (KiB × 1024), as the MIB documents; upstream
 *   sends KiB.
 * - `ResourceForceIOFailures` reports the real value (upstream: always false).
 *
 * Values the wire type cannot carry (checked so a corrupt snapshot cannot
 * produce a wrong-but-plausible number):
 * - Integer columns must fit i32; a value outside is left out of the table
 *   (snmptable shows `?`) and reported through `onError`. Clamping would
 *   show a plausible number that is not the real one.
 * - A device whose minor is not a u32 cannot be an OID sub-identifier; its
 *   row is left out and reported. Two devices claiming one minor: the first by
 *   resource name keeps the row, the other is reported.
 * - Counter64 columns wrap modulo 2^64, as counters do (only reachable for
 *   Read/Written in bytes; sources are u64).
 * - UpperPending/LowerPending are clamped to 2^32-1 (a gauge at its maximum
 *   reads as "at least this many", which is the truth).
 * - Size/SizeUnits are left out when even GiB units overflow u32 (a device of
 *   4 EiB or more), as upstream does; this is not reported.
 *
 * @module
 */
import type { DrbdVersions } from "../../src/drbd/version.ts";
import { DISK_STATES, REPLICATION_STATES, type Resource } from "../../src/drbd/types.ts";
import { compareOid, oidStartsWith } from "./protocol/oid.ts";
import { type Oid, type Value, ValueType, type VarBind } from "./protocol/types.ts";

/** `enterprises.23302`, LINBIT's enterprise arc; the subtree the agent registers. */
export const LINBIT_OID: Oid = Object.freeze([1, 3, 6, 1, 4, 1, 23302]);
/** `ModuleVersion`: the DRBD kernel module version, `M.m.p`. */
export const MODULE_VERSION_OID: Oid = Object.freeze([...LINBIT_OID, 1, 1, 1]);
/** `UtilsVersion`: the drbd-utils version, `M.m.p`. */
export const UTILS_VERSION_OID: Oid = Object.freeze([...LINBIT_OID, 1, 1, 2]);
/** `drbdEntry`: cells are `DRBD_ENTRY_OID.<column>.<minor>`. */
export const DRBD_ENTRY_OID: Oid = Object.freeze([...LINBIT_OID, 1, 2, 1]);

/** The two scalars, in OID order, with their MIB names. */
export const MIB_SCALARS = Object.freeze([
  Object.freeze({ oid: MODULE_VERSION_OID, name: "ModuleVersion", syntax: "DisplayString" }),
  Object.freeze({ oid: UTILS_VERSION_OID, name: "UtilsVersion", syntax: "DisplayString" }),
] as const);

/** SMI syntax of a column as written in the MIB file (the wire type follows from it). */
export type ColumnSyntax = "Integer32" | "DisplayString" | "TruthValue" | "Unsigned32" | "Counter64";

/** One column of `drbdTable`. */
export interface MibColumn {
  /** Sub-identifier under `drbdEntry` (1-based). */
  readonly column: number;
  /** Descriptor in LINBIT-DRBD-MIB (upstream's spelling). */
  readonly name: string;
  readonly syntax: ColumnSyntax;
}

function col(column: number, name: string, syntax: ColumnSyntax): MibColumn {
  return Object.freeze({ column, name, syntax });
}

/** Peer disk-state columns 25–34 follow DISK_STATES; the MIB spells `DUnknown` as `Unknown`. */
const PEER_DISK_NAMES = DISK_STATES.map((s) => `PeerDisk${s === "DUnknown" ? "Unknown" : s}`);
const PEER_REPL_NAMES = REPLICATION_STATES.map((s) => `PeerRepl${s}`);

/** Columns 1–23: present whatever `peer-states` says. */
export const BASE_COLUMN_COUNT = 23;
/** First column of the disk-state counts (PeerDiskDiskless). */
export const PEER_DISK_FIRST_COLUMN = 25;
/** First column of the replication-state counts (PeerReplOff). */
export const PEER_REPL_FIRST_COLUMN = PEER_DISK_FIRST_COLUMN + DISK_STATES.length;

/**
 * All 49 columns of `drbdTable` in column order (index = column - 1). The
 * README and the MIB-file test read this list, so code and MIB cannot drift.
 */
export const MIB_COLUMNS: readonly MibColumn[] = Object.freeze([
  col(1, "Minor", "Integer32"),
  col(2, "ResourceName", "DisplayString"),
  col(3, "ResourceRole", "DisplayString"),
  col(4, "ResourceSuspended", "TruthValue"),
  col(5, "ResourceWriteOrdering", "DisplayString"),
  col(6, "ResourceForceIOFailures", "TruthValue"),
  col(7, "ResourceMayPromote", "TruthValue"),
  col(8, "ResourcePromotionScore", "Integer32"),
  col(9, "Volume", "Integer32"),
  col(10, "DiskState", "DisplayString"),
  col(11, "BackingDev", "DisplayString"),
  col(12, "Client", "TruthValue"),
  col(13, "Quorum", "TruthValue"),
  col(14, "Size", "Unsigned32"),
  col(15, "SizeUnits", "Unsigned32"),
  col(16, "Read", "Counter64"),
  col(17, "Written", "Counter64"),
  col(18, "AlWrites", "Counter64"),
  col(19, "BmWrites", "Counter64"),
  col(20, "UpperPending", "Unsigned32"),
  col(21, "LowerPending", "Unsigned32"),
  col(22, "AlSuspended", "TruthValue"),
  col(23, "Blocked", "DisplayString"),
  col(24, "PeerNumberOfPeers", "Integer32"),
  ...PEER_DISK_NAMES.map((name, i) => col(PEER_DISK_FIRST_COLUMN + i, name, "Integer32")),
  ...PEER_REPL_NAMES.map((name, i) => col(PEER_REPL_FIRST_COLUMN + i, name, "Integer32")),
]);

/** Options of {@link buildMib}. */
export interface MibOptions {
  /** Include columns 24–49 (config `peer-states`). */
  readonly peerStates: boolean;
}

const U32_MAX = 0xffff_ffff;
const U64_MAX = 2n ** 64n - 1n;
const I32_MIN = -0x8000_0000;
const I32_MAX = 0x7fff_ffff;

const NO_SUCH_OBJECT: Value = Object.freeze({ type: ValueType.NoSuchObject });
const NO_SUCH_INSTANCE: Value = Object.freeze({ type: ValueType.NoSuchInstance });
const END_OF_MIB_VIEW: Value = Object.freeze({ type: ValueType.EndOfMibView });
/** TruthValue (SNMPv2-TC): true(1), false(2). */
const TRUE: Value = Object.freeze({ type: ValueType.Integer, value: 1 });
const FALSE: Value = Object.freeze({ type: ValueType.Integer, value: 2 });
/** Peer counts are small; sharing their Value objects saves most allocations of a build. */
const SMALL_INTEGERS: readonly Value[] = Array.from({ length: 64 }, (_, i) =>
  Object.freeze({ type: ValueType.Integer, value: i }),
);

/**
 * An immutable, sorted snapshot of every value of the MIB. Returned names and
 * values are shared with the table: callers must not mutate them (the
 * encoder only reads).
 */
export class MibTable {
  readonly #oids: readonly Oid[];
  readonly #values: readonly Value[];
  readonly #columns: number;

  /** @internal Use {@link buildMib}; `oids` must be strictly ascending. */
  constructor(oids: readonly Oid[], values: readonly Value[], columns: number) {
    this.#oids = oids;
    this.#values = values;
    this.#columns = columns;
  }

  /** Number of values (scalars + cells). */
  get size(): number {
    return this.#oids.length;
  }

  /** Number of table columns served (23, or 49 with peer states). */
  get columns(): number {
    return this.#columns;
  }

  /** Index of the first OID ≥ `oid` (or > `oid` when `strict`). */
  #search(oid: Oid, strict: boolean): number {
    const oids = this.#oids;
    let lo = 0;
    let hi = oids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareOid(oids[mid]!, oid);
      if (c < 0 || (strict && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The value at exactly `oid`. Otherwise noSuchInstance when `oid` lies
   * under an object this MIB defines (a scalar with extra sub-ids, such as
   * the customary `.0`; or a served column 1..{@link columns} with an
   * instance that has no row, including none at all), else noSuchObject. So
   * a manager can tell "no such device" from "this agent has no such column"
   * (e.g. peer-state columns with `peer-states = false`). Upstream answers
   * noSuchObject to everything missing.
   */
  get(oid: Oid): Value {
    const i = this.#search(oid, false);
    if (i < this.#oids.length && compareOid(this.#oids[i]!, oid) === 0) return this.#values[i]!;
    if (oid.length > MODULE_VERSION_OID.length) {
      if (oidStartsWith(oid, MODULE_VERSION_OID) || oidStartsWith(oid, UTILS_VERSION_OID)) return NO_SUCH_INSTANCE;
    }
    if (oid.length > DRBD_ENTRY_OID.length && oidStartsWith(oid, DRBD_ENTRY_OID)) {
      const column = oid[DRBD_ENTRY_OID.length]!;
      if (column >= 1 && column <= this.#columns) return NO_SUCH_INSTANCE;
    }
    return NO_SUCH_OBJECT;
  }

  /**
   * GetNext for one SearchRange (RFC 2741 §7.2.3.2): the first value whose
   * name is > `start` (≥ when `include`) and < `end` (an empty `end` is
   * unbounded). None: `{ name: start, value: endOfMibView }`.
   */
  next(start: Oid, include: boolean, end: Oid): VarBind {
    const i = this.#search(start, !include);
    if (i < this.#oids.length) {
      const name = this.#oids[i]!;
      if (end.length === 0 || compareOid(name, end) < 0) return { name, value: this.#values[i]! };
    }
    return { name: start, value: END_OF_MIB_VIEW };
  }
}

/** One table row before it gets its cells. */
interface Row {
  readonly minor: number;
  readonly resource: Resource;
  readonly volume: number;
  /** Position in the sorted rows; -1 while unsorted or when dropped. */
  index: number;
}

/** Per-build helpers that know where to report problems. */
class Cells {
  readonly #texts = new Map<string, Value>();
  readonly #encoder = new TextEncoder();

  constructor(private readonly onError: (msg: string) => void) {}

  /** DisplayString as UTF-8; equal strings share one Value (role, disk state and resource name repeat a lot). */
  text(s: string): Value {
    let value = this.#texts.get(s);
    if (value === undefined) {
      value = { type: ValueType.OctetString, value: this.#encoder.encode(s) };
      this.#texts.set(s, value);
    }
    return value;
  }

  int(v: number, what: string): Value | undefined {
    if (Number.isInteger(v) && v >= I32_MIN && v <= I32_MAX) {
      return v >= 0 && v < SMALL_INTEGERS.length ? SMALL_INTEGERS[v] : { type: ValueType.Integer, value: v };
    }
    this.onError(`${what} = ${v} does not fit an SNMP Integer32; left out of the MIB`);
    return undefined;
  }

  /**
   * Counter64 of `v × scale`. `v` is a u64 that may have been rounded up to
   * 2^64 on parsing (numbers are doubles), so it is first clamped back into
   * u64; the product then wraps modulo 2^64, as a u64 byte counter would.
   */
  counter64(v: number, scale: bigint, what: string): Value | undefined {
    if (Number.isInteger(v) && v >= 0) {
      const u64 = v >= 2 ** 64 ? U64_MAX : BigInt(v);
      return { type: ValueType.Counter64, value: BigInt.asUintN(64, u64 * scale) };
    }
    this.onError(`${what} = ${v} is not an unsigned integer; left out of the MIB`);
    return undefined;
  }

  /** Gauge32 clamped to its maximum (pending request counts). */
  clampedGauge(v: number, what: string): Value | undefined {
    if (Number.isInteger(v) && v >= 0) return { type: ValueType.Gauge32, value: v > U32_MAX ? U32_MAX : v };
    this.onError(`${what} = ${v} is not an unsigned integer; left out of the MIB`);
    return undefined;
  }
}

const truth = (b: boolean): Value => (b ? TRUE : FALSE);

/**
 * Size in KiB as (Size, SizeUnits): divide by 1024 until the count fits u32,
 * with the unit in bytes; null when the unit itself would pass u32.
 */
export function scaleSize(kib: number): { size: number; unit: number } | null {
  let size = kib;
  let unit = 1024;
  while (size > U32_MAX) {
    size = Math.floor(size / 1024);
    unit *= 1024;
    if (unit > U32_MAX) return null;
  }
  return { size, unit };
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= U32_MAX;
}

/**
 * One row per device, sorted by minor (then resource name, so a clash has a
 * deterministic winner). Devices that cannot be rows are reported and left out.
 */
function collectRows(resources: Iterable<Resource>, onError: (msg: string) => void): Row[] {
  const rows: Row[] = [];
  for (const resource of resources) {
    for (const device of resource.devices.values()) {
      if (!isU32(device.minor)) {
        onError(`resource ${resource.name} volume ${device.volume}: minor ${device.minor} cannot index the MIB table; row left out`);
        continue;
      }
      rows.push({ minor: device.minor, resource, volume: device.volume, index: -1 });
    }
  }
  rows.sort((a, b) => a.minor - b.minor || (a.resource.name < b.resource.name ? -1 : a.resource.name > b.resource.name ? 1 : 0));
  const kept: Row[] = [];
  for (const row of rows) {
    const last = kept[kept.length - 1];
    if (last !== undefined && last.minor === row.minor) {
      onError(
        `minor ${row.minor} is claimed by ${last.resource.name}/${last.volume} and ${row.resource.name}/${row.volume}; only the first is in the MIB`,
      );
      continue;
    }
    row.index = kept.length;
    kept.push(row);
  }
  return kept;
}

/** Columns 24–49 per row: [peers, disk counts…, replication counts…]. */
const PEER_COUNTERS = 1 + DISK_STATES.length + REPLICATION_STATES.length;
const DISK_INDEX = new Map<string, number>(DISK_STATES.map((s, i) => [s, i]));
const REPL_INDEX = new Map<string, number>(REPLICATION_STATES.map((s, i) => [s, i]));

function countPeers(rows: readonly Row[], onError: (msg: string) => void): Int32Array {
  const counts = new Int32Array(rows.length * PEER_COUNTERS);
  // A resource's rows by volume; a resource appears once per row, so map each once.
  const byResource = new Map<Resource, Map<number, Row>>();
  for (const row of rows) {
    let volumes = byResource.get(row.resource);
    if (volumes === undefined) byResource.set(row.resource, (volumes = new Map()));
    volumes.set(row.volume, row);
  }
  for (const [resource, volumes] of byResource) {
    for (const connection of resource.connections.values()) {
      for (const pd of connection.peerDevices.values()) {
        const row = volumes.get(pd.volume);
        if (row === undefined) {
          // A device of that volume may exist but have lost its row (bad or duplicate minor): already reported.
          if (!resource.devices.has(pd.volume)) {
            onError(
              `resource ${resource.name}: peer device volume ${pd.volume} of peer ${connection.connName || "?"} (node ${connection.peerNodeId}) has no local device; not counted in the peer-state columns`,
            );
          }
          continue;
        }
        const base = row.index * PEER_COUNTERS;
        counts[base]!++;
        const disk = DISK_INDEX.get(pd.peerDisk);
        if (disk !== undefined) counts[base + 1 + disk]!++;
        const repl = REPL_INDEX.get(pd.replication);
        if (repl !== undefined) counts[base + 1 + DISK_STATES.length + repl]!++;
      }
    }
  }
  return counts;
}

/** Fill one row's cells (columns 1–23) into `cells[offset …]`. */
function fillBaseCells(row: Row, cells: (Value | undefined)[], offset: number, c: Cells, onError: (msg: string) => void): void {
  const r = row.resource;
  const d = r.devices.get(row.volume)!;
  const where = `resource ${r.name} volume ${d.volume} (minor ${d.minor})`;
  cells[offset + 0] = c.int(d.minor, `${where} Minor`);
  cells[offset + 1] = c.text(r.name);
  cells[offset + 2] = c.text(r.role);
  cells[offset + 3] = truth(r.suspended);
  cells[offset + 4] = c.text(r.writeOrdering);
  cells[offset + 5] = truth(r.forceIoFailures);
  cells[offset + 6] = truth(r.mayPromote);
  cells[offset + 7] = c.int(r.promotionScore, `${where} ResourcePromotionScore`);
  cells[offset + 8] = c.int(d.volume, `${where} Volume`);
  cells[offset + 9] = c.text(d.diskState);
  cells[offset + 10] = c.text(d.backingDev ?? "none");
  cells[offset + 11] = truth(d.client);
  cells[offset + 12] = truth(d.quorum);
  const scaled = Number.isInteger(d.size) && d.size >= 0 ? scaleSize(d.size) : undefined;
  if (scaled === undefined) onError(`${where} Size = ${d.size} is not an unsigned integer; left out of the MIB`);
  else if (scaled !== null) {
    cells[offset + 13] = { type: ValueType.Gauge32, value: scaled.size };
    cells[offset + 14] = { type: ValueType.Gauge32, value: scaled.unit };
  }
  cells[offset + 15] = c.counter64(d.read, 1024n, `${where} Read`);
  cells[offset + 16] = c.counter64(d.written, 1024n, `${where} Written`);
  cells[offset + 17] = c.counter64(d.alWrites, 1n, `${where} AlWrites`);
  cells[offset + 18] = c.counter64(d.bmWrites, 1n, `${where} BmWrites`);
  cells[offset + 19] = c.clampedGauge(d.upperPending, `${where} UpperPending`);
  cells[offset + 20] = c.clampedGauge(d.lowerPending, `${where} LowerPending`);
  cells[offset + 21] = truth(d.alSuspended);
  cells[offset + 22] = c.text(d.blocked);
}

/**
 * Build the MIB from a snapshot of resources.
 *
 * Cells are computed row by row into one flat array, then emitted column by
 * column: with the rows sorted by minor once, that is already OID order
 * (scalars `…1.1.x` < cells `…1.2.1.col.minor`), so no sort of the ~50k
 * entries is needed.
 *
 * @param onError receives one line per value that had to be left out (see the module doc).
 */
export function buildMib(
  resources: Iterable<Resource>,
  versions: DrbdVersions,
  options: MibOptions,
  onError: (msg: string) => void = () => {},
): MibTable {
  const c = new Cells(onError);
  const rows = collectRows(resources, onError);
  const columns = options.peerStates ? MIB_COLUMNS.length : BASE_COLUMN_COUNT;
  const cells: (Value | undefined)[] = new Array(rows.length * columns);
  for (const row of rows) fillBaseCells(row, cells, row.index * columns, c, onError);
  if (options.peerStates) {
    const counts = countPeers(rows, onError);
    for (const row of rows) {
      const offset = row.index * columns + BASE_COLUMN_COUNT;
      const base = row.index * PEER_COUNTERS;
      for (let k = 0; k < PEER_COUNTERS; k++) cells[offset + k] = c.int(counts[base + k]!, "peer count");
    }
  }

  const oids: Oid[] = [MODULE_VERSION_OID, UTILS_VERSION_OID];
  const values: Value[] = [c.text(versions.kmod), c.text(versions.utils)];
  const [a, b, e, n, t, p, x, y, z, w] = DRBD_ENTRY_OID as [number, number, number, number, number, number, number, number, number, number];
  for (let column = 1; column <= columns; column++) {
    for (let i = 0, at = column - 1; i < rows.length; i++, at += columns) {
      const value = cells[at];
      if (value === undefined) continue;
      oids.push([a, b, e, n, t, p, x, y, z, w, column, rows[i]!.minor]);
      values.push(value);
    }
  }
  return new MibTable(oids, values, columns);
}
