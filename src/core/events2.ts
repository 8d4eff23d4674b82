/**
 * Parser for `drbdsetup events2 --full` lines (spec core.md §2). Pure and
 * table-driven: each object type is a table of `key -> setter`.
 *
 * Rules:
 * - `<verb> <object> key:value …`, whitespace separated; a value may contain
 *   further colons (`local:ipv4:1.2.3.4:7020`); a repeated key: last wins.
 * - bool: false only for `no` and `false`; everything else (`user`,
 *   `quorum`, `unknown` …) is true.
 * - An unknown key never rejects a line: it is returned in `unknownKeys` for
 *   the caller to log and count.
 * - A bad integer or an unknown enum value in a known key rejects the whole
 *   line (no partial apply): the result is a {@link ParseFailure}.
 * - `exists -` ends the initial dump; `call`/`response helper` and
 *   `rename resource` are events too (upstream drops them); a leading
 *   `--timestamps` stamp is skipped.
 *
 * @module
 */
import {
  CONNECTION_STATES,
  DISK_STATES,
  type ConnectionFields,
  type ConnectionState,
  type Device,
  type DiskState,
  type ReplicationState,
  type Role,
  type EventType,
  type Path,
  type PeerDevice,
  REPLICATION_STATES,
  ROLES,
  type ResourceFields,
} from "../drbd/types.ts";
import { intern, internSlice } from "./intern.ts";

/** A `call helper` / `response helper` line. */
export interface HelperCall {
  readonly name: string;
  readonly helper: string;
  readonly volume: number | null;
  readonly minor: number | null;
  readonly peerNodeId: number | null;
  readonly connName: string | null;
  readonly status: number | null;
}

interface Notes {
  /** Keys (or key-less tokens) this parser does not know; the line was still applied. */
  readonly unknownKeys?: readonly string[];
  /** u64 keys whose value exceeded 2^53 and was rounded to the nearest double. */
  readonly roundedKeys?: readonly string[];
}

/** One parsed line. */
export type Event = Notes &
  (
    | { readonly kind: "resource"; readonly type: EventType; readonly resource: ResourceFields }
    | { readonly kind: "device"; readonly type: EventType; readonly device: Device }
    | { readonly kind: "connection"; readonly type: EventType; readonly connection: ConnectionFields }
    | { readonly kind: "peer-device"; readonly type: EventType; readonly peerDevice: PeerDevice }
    | { readonly kind: "path"; readonly type: EventType; readonly path: Path }
    | { readonly kind: "helper"; readonly type: "call" | "response"; readonly helper: HelperCall }
    | { readonly kind: "rename"; readonly oldName: string; readonly newName: string }
    | { readonly kind: "end-of-dump" }
  );

/** Why a line was rejected. Each reason has its own counter. */
export const PARSE_FAILURE_REASONS = [
  "empty",
  "unknown-verb",
  "unknown-object",
  "bad-integer",
  "bad-enum",
  "missing-key",
] as const;
/** @see PARSE_FAILURE_REASONS */
export type ParseFailureReason = (typeof PARSE_FAILURE_REASONS)[number];

/** A rejected line. */
export interface ParseFailure {
  readonly kind: "error";
  readonly reason: ParseFailureReason;
  /** Human-readable, quotes the offending token. */
  readonly message: string;
}

/** Result of {@link parseLine}. */
export type ParseResult = Event | ParseFailure;

const VERBS: Record<string, EventType> = {
  exists: "Exists",
  create: "Create",
  change: "Change",
  destroy: "Destroy",
};

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/;
const WHITESPACE_RUN = /\s+/g;
const U64_MAX = "18446744073709551615";
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Accumulates the values and problems of one line while its tokens are applied. */
class LineState {
  unknownKeys: string[] | undefined;
  roundedKeys: string[] | undefined;
  failure: ParseFailure | undefined;
  /** Field values by slot; undefined = absent from the line. */
  readonly slots: unknown[] = new Array(17).fill(undefined); // the most fields of any object (device)

  /** Ready for the next line. */
  reset(): void {
    this.unknownKeys = undefined;
    this.roundedKeys = undefined;
    this.failure = undefined;
    this.slots.fill(undefined);
  }

  fail(reason: ParseFailureReason, message: string): void {
    this.failure ??= { kind: "error", reason, message };
  }
}

const LINE_STATE = new LineState();

type Target = Record<string, unknown>;

/** How a field's value text is converted. */
const enum Conv {
  Str,
  Bool,
  I32,
  U64,
  Enum,
  Backing,
  Progress,
}

/** True iff `line[start, end)` equals `text`, without allocating. */
function sliceEquals(line: string, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (line.charCodeAt(start + i) !== text.charCodeAt(i)) return false;
  return true;
}

/** DRBD bool: false only for `no` and `false`. */
export function parseBool(value: string): boolean {
  return value !== "no" && value !== "false";
}

/** Decimal digits of `line[start, end)` as a number, or -1 when empty or a non-digit occurs. Exact below 2^53. */
function digitsValue(line: string, start: number, end: number): number {
  if (start >= end) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function parseI32(line: string, s: number, e: number, key: string, st: LineState): number | undefined {
  const c = line.charCodeAt(s);
  const sign = c === 45 /* - */ ? -1 : 1;
  const n = digitsValue(line, c === 45 || c === 43 /* + */ ? s + 1 : s, e);
  const value = sign * n;
  if (n >= 0 && e - s <= 12 && value >= -2147483648 && value <= 2147483647) return value;
  st.fail("bad-integer", `${key}: ${quote(line.substring(s, e))} is not a 32-bit integer`);
  return undefined;
}

function parseU64(line: string, s: number, e: number, key: string, st: LineState): number | undefined {
  const start = line.charCodeAt(s) === 43 /* + */ ? s + 1 : s;
  const n = digitsValue(line, start, e);
  if (n < 0) {
    st.fail("bad-integer", `${key}: ${quote(line.substring(s, e))} is not an unsigned integer`);
    return undefined;
  }
  if (n <= Number.MAX_SAFE_INTEGER) return n;
  // Rare path: range check on the digit string, correctly rounded conversion.
  const digits = line.substring(start, e).replace(/^0+/, "");
  if (digits.length > 20 || (digits.length === 20 && digits > U64_MAX)) {
    st.fail("bad-integer", `${key}: ${quote(line.substring(s, e))} exceeds the u64 range`);
    return undefined;
  }
  (st.roundedKeys ??= []).push(intern(`${key}:${line.substring(s, e)}`));
  return Number(digits);
}

/** Candidates bucketed by text length, so recognising a token costs one or two char compares. */
type Buckets<T> = (readonly (readonly [string, T])[] | undefined)[];

function bucketByLength<T>(entries: readonly (readonly [string, T])[]): Buckets<T> {
  const buckets: (readonly [string, T])[][] = [];
  for (const entry of entries) (buckets[entry[0].length] ??= []).push(entry);
  return buckets;
}

function lookup<T>(buckets: Buckets<T>, line: string, start: number, end: number): T | undefined {
  const candidates = buckets[end - start];
  if (candidates === undefined) return undefined;
  // Indexed loops and char compares: iterator destructuring and startsWith cost more than the whole parse.
  for (let i = 0; i < candidates.length; i++) {
    const entry = candidates[i]!;
    const text = entry[0];
    let j = 0;
    while (j < text.length && text.charCodeAt(j) === line.charCodeAt(start + j)) j++;
    if (j === text.length) return entry[1];
  }
  return undefined;
}

interface Field {
  readonly key: string;
  readonly conv: Conv;
  /** Index into the slot array the object is built from. */
  readonly slot: number;
  /** Enum values by length (Conv.Enum only). */
  readonly values?: Buckets<string>;
}
type Table = Buckets<Field>;
type FieldDef = readonly [key: string, conv: Conv, values?: readonly string[]];

/** Bucket `defs` by key length; slot i is the i-th def. */
const table = (defs: readonly FieldDef[]): Table =>
  bucketByLength(
    defs.map(([key, conv, values], slot) => {
      const field: Field = values ? { key, conv, slot, values: bucketByLength(values.map((v) => [v, v])) } : { key, conv, slot };
      return [key, field] as const;
    }),
  );

const RESOURCE = table([
  ["name", Conv.Str],
  ["role", Conv.Enum, ROLES],
  ["suspended", Conv.Bool],
  ["force-io-failures", Conv.Bool],
  ["write-ordering", Conv.Str],
  ["may_promote", Conv.Bool],
  ["promotion_score", Conv.I32],
]);
const buildResource = (s: unknown[]): ResourceFields => ({
  name: (s[0] as string | undefined) ?? "",
  role: (s[1] as Role | undefined) ?? "Unknown",
  suspended: (s[2] as boolean | undefined) ?? false,
  forceIoFailures: (s[3] as boolean | undefined) ?? false,
  writeOrdering: (s[4] as string | undefined) ?? "",
  mayPromote: (s[5] as boolean | undefined) ?? false,
  promotionScore: (s[6] as number | undefined) ?? 0,
});

const DEVICE = table([
  ["name", Conv.Str],
  ["volume", Conv.I32],
  ["minor", Conv.I32],
  ["disk", Conv.Enum, DISK_STATES],
  ["client", Conv.Bool],
  ["backing_dev", Conv.Backing],
  ["quorum", Conv.Bool],
  ["open", Conv.Bool],
  ["size", Conv.U64],
  ["read", Conv.U64],
  ["written", Conv.U64],
  ["al-writes", Conv.U64],
  ["bm-writes", Conv.U64],
  ["upper-pending", Conv.U64],
  ["lower-pending", Conv.U64],
  ["al-suspended", Conv.Bool],
  ["blocked", Conv.Str],
]);
const buildDevice = (s: unknown[]): Device => ({
  name: (s[0] as string | undefined) ?? "",
  volume: (s[1] as number | undefined) ?? 0,
  minor: (s[2] as number | undefined) ?? 0,
  diskState: (s[3] as DiskState | undefined) ?? "DUnknown",
  client: (s[4] as boolean | undefined) ?? false,
  backingDev: (s[5] as string | null | undefined) ?? null,
  quorum: (s[6] as boolean | undefined) ?? false,
  open: (s[7] as boolean | undefined) ?? false,
  size: (s[8] as number | undefined) ?? 0,
  read: (s[9] as number | undefined) ?? 0,
  written: (s[10] as number | undefined) ?? 0,
  alWrites: (s[11] as number | undefined) ?? 0,
  bmWrites: (s[12] as number | undefined) ?? 0,
  upperPending: (s[13] as number | undefined) ?? 0,
  lowerPending: (s[14] as number | undefined) ?? 0,
  alSuspended: (s[15] as boolean | undefined) ?? false,
  blocked: (s[16] as string | undefined) ?? "",
});

const CONNECTION = table([
  ["name", Conv.Str],
  ["peer-node-id", Conv.I32],
  ["conn-name", Conv.Str],
  ["connection", Conv.Enum, CONNECTION_STATES],
  ["role", Conv.Enum, ROLES],
  ["congested", Conv.Bool],
  ["ap-in-flight", Conv.U64],
  ["rs-in-flight", Conv.U64],
  ["sync-state", Conv.Str],
]);
const buildConnection = (s: unknown[]): ConnectionFields => ({
  name: (s[0] as string | undefined) ?? "",
  peerNodeId: (s[1] as number | undefined) ?? 0,
  connName: (s[2] as string | undefined) ?? "",
  connection: (s[3] as ConnectionState | undefined) ?? "StandAlone",
  peerRole: (s[4] as Role | undefined) ?? "Unknown",
  congested: (s[5] as boolean | undefined) ?? false,
  apInFlight: (s[6] as number | undefined) ?? 0,
  rsInFlight: (s[7] as number | undefined) ?? 0,
  syncState: (s[8] as string | undefined) ?? "",
});

const PEER_DEVICE = table([
  ["name", Conv.Str],
  ["conn-name", Conv.Str],
  ["volume", Conv.I32],
  ["peer-node-id", Conv.I32],
  ["replication", Conv.Enum, REPLICATION_STATES],
  ["peer-disk", Conv.Enum, DISK_STATES],
  ["peer-client", Conv.Bool],
  ["resync-suspended", Conv.Bool],
  ["received", Conv.U64],
  ["sent", Conv.U64],
  ["out-of-sync", Conv.U64],
  ["pending", Conv.U64],
  ["unacked", Conv.U64],
  ["done", Conv.Progress],
  ["eta", Conv.Progress],
  ["dbdt1", Conv.Progress],
]);
const buildPeerDevice = (s: unknown[]): PeerDevice => ({
  name: (s[0] as string | undefined) ?? "",
  connName: (s[1] as string | undefined) ?? "",
  volume: (s[2] as number | undefined) ?? 0,
  peerNodeId: (s[3] as number | undefined) ?? 0,
  replication: (s[4] as ReplicationState | undefined) ?? "Off",
  peerDisk: (s[5] as DiskState | undefined) ?? "DUnknown",
  peerClient: (s[6] as boolean | undefined) ?? false,
  resyncSuspended: (s[7] as boolean | undefined) ?? false,
  received: (s[8] as number | undefined) ?? 0,
  sent: (s[9] as number | undefined) ?? 0,
  outOfSync: (s[10] as number | undefined) ?? 0,
  pending: (s[11] as number | undefined) ?? 0,
  unacked: (s[12] as number | undefined) ?? 0,
  resyncDone: (s[13] as number | null | undefined) ?? null,
  resyncEta: (s[14] as number | null | undefined) ?? null,
  resyncRate: (s[15] as number | null | undefined) ?? null,
});

const PATH = table([
  ["name", Conv.Str],
  ["peer-node-id", Conv.I32],
  ["conn-name", Conv.Str],
  ["local", Conv.Str],
  ["peer", Conv.Str],
  ["established", Conv.Bool],
]);
const buildPath = (s: unknown[]): Path => ({
  name: (s[0] as string | undefined) ?? "",
  peerNodeId: (s[1] as number | undefined) ?? 0,
  connName: (s[2] as string | undefined) ?? "",
  local: (s[3] as string | undefined) ?? "",
  peer: (s[4] as string | undefined) ?? "",
  established: (s[5] as boolean | undefined) ?? false,
});

const HELPER = table([
  ["name", Conv.Str],
  ["helper", Conv.Str],
  ["volume", Conv.I32],
  ["minor", Conv.I32],
  ["peer-node-id", Conv.I32],
  ["conn-name", Conv.Str],
  ["status", Conv.I32],
]);
const buildHelper = (s: unknown[]): HelperCall => ({
  name: (s[0] as string | undefined) ?? "",
  helper: (s[1] as string | undefined) ?? "",
  volume: (s[2] as number | undefined) ?? null,
  minor: (s[3] as number | undefined) ?? null,
  peerNodeId: (s[4] as number | undefined) ?? null,
  connName: (s[5] as string | undefined) ?? null,
  status: (s[6] as number | undefined) ?? null,
});

const RENAME = table([
  ["name", Conv.Str],
  ["new_name", Conv.Str],
]);

interface ObjectSpec {
  readonly kind: "resource" | "device" | "connection" | "peer-device" | "path";
  readonly table: Table;
  readonly build: (slots: unknown[]) => object;
  readonly field: string;
}
const OBJECTS = bucketByLength<ObjectSpec>([
  ["resource", { kind: "resource", table: RESOURCE, build: buildResource, field: "resource" }],
  ["device", { kind: "device", table: DEVICE, build: buildDevice, field: "device" }],
  ["connection", { kind: "connection", table: CONNECTION, build: buildConnection, field: "connection" }],
  ["peer-device", { kind: "peer-device", table: PEER_DEVICE, build: buildPeerDevice, field: "peerDevice" }],
  ["path", { kind: "path", table: PATH, build: buildPath, field: "path" }],
]);

const VERB_BUCKETS = bucketByLength<EventType | "call" | "response" | "rename">([
  ...Object.entries(VERBS),
  ["call", "call"],
  ["response", "response"],
  ["rename", "rename"],
]);

/**
 * Convert the `key:value` tokens of `line` from `pos` on into `slots` (one per
 * field of `fields`; undefined = absent). `line` is normalised: single spaces
 * between tokens, no leading/trailing whitespace.
 */
function applyTokens(line: string, pos: number, fields: Table): LineState {
  // One state for all lines: parsing is synchronous and builders copy the slots out.
  const st = LINE_STATE;
  st.reset();
  const slots = st.slots;
  const len = line.length;
  while (pos < len) {
    let end = line.indexOf(" ", pos);
    if (end < 0) end = len;
    const colon = line.indexOf(":", pos);
    const field = colon < 0 || colon > end ? undefined : lookup(fields, line, pos, colon);
    if (field === undefined) {
      (st.unknownKeys ??= []).push(internSlice(line, pos, colon < 0 || colon > end ? end : colon));
      pos = end + 1;
      continue;
    }
    const s = colon + 1;
    switch (field.conv) {
      case Conv.Str:
        slots[field.slot] = internSlice(line, s, end);
        break;
      case Conv.Bool:
        slots[field.slot] = !(sliceEquals(line, s, end, "no") || sliceEquals(line, s, end, "false"));
        break;
      case Conv.I32:
        slots[field.slot] = parseI32(line, s, end, field.key, st);
        break;
      case Conv.U64:
        slots[field.slot] = parseU64(line, s, end, field.key, st);
        break;
      case Conv.Enum: {
        const value = lookup(field.values!, line, s, end);
        if (value === undefined) st.fail("bad-enum", `${field.key}: unknown value ${quote(line.substring(s, end))}`);
        slots[field.slot] = value;
        break;
      }
      case Conv.Backing:
        slots[field.slot] = sliceEquals(line, s, end, "none") ? null : internSlice(line, s, end);
        break;
      case Conv.Progress: {
        // Advisory values: `nan` or garbage become null rather than rejecting the line.
        const text = line.substring(s, end);
        slots[field.slot] = FLOAT_RE.test(text) ? Number(text) : null;
        break;
      }
    }
    pos = end + 1;
  }
  if (slots[0] === undefined) st.fail("missing-key", `no "name:" key`);
  return st;
}

function withNotes<T extends object>(event: T, st: LineState): T & Notes {
  if (st.unknownKeys) (event as Record<string, unknown>).unknownKeys = st.unknownKeys;
  if (st.roundedKeys) (event as Record<string, unknown>).roundedKeys = st.roundedKeys;
  return event;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

/** Single spaces between tokens, none around: drbdsetup's own layout, so this is almost always a no-op. */
function normalise(line: string): string {
  const last = line.charCodeAt(line.length - 1);
  if (line.charCodeAt(0) > 32 && last > 32 && line.indexOf("  ") < 0 && !/[\t\r\n\v\f]/.test(line)) return line;
  return line.trim().replace(WHITESPACE_RUN, " ");
}

/** Token `[start, end)` of `line` starting at `start`. */
function tokenEnd(line: string, start: number): number {
  const end = line.indexOf(" ", start);
  return end < 0 ? line.length : end;
}

/**
 * Parse one events2 line (without its newline).
 *
 * @example
 * parseLine("change resource name:r0 role:Primary suspended:no may_promote:no promotion_score:10102")
 * // => { kind: "resource", type: "Change", resource: { name: "r0", role: "Primary", … } }
 */
export function parseLine(raw: string): ParseResult {
  const line = normalise(raw);
  if (line.length === 0) return { kind: "error", reason: "empty", message: "empty line" };
  let pos = 0;
  let end = tokenEnd(line, 0);
  if (end === 32 && line.charCodeAt(10) === 84 /* T */ && TIMESTAMP.test(line.substring(0, 32))) {
    pos = 33;
    end = tokenEnd(line, pos);
    if (pos >= line.length) return { kind: "error", reason: "empty", message: "only a timestamp" };
  }
  const verb = lookup(VERB_BUCKETS, line, pos, end);
  if (verb === undefined) {
    return { kind: "error", reason: "unknown-verb", message: `unknown verb ${quote(line.substring(pos, end))}` };
  }
  const objectStart = Math.min(end + 1, line.length);
  const objectEnd = tokenEnd(line, objectStart);
  const rest = objectEnd + 1;

  if (verb === "call" || verb === "response") {
    if (!sliceEquals(line, objectStart, objectEnd, "helper")) return unknownObject(line, objectStart, objectEnd);
    const st = applyTokens(line, rest, HELPER);
    const slots = st.slots;
    if (st.failure) return st.failure;
    if (!slots[1]) return { kind: "error", reason: "missing-key", message: `no "helper:" key` };
    return withNotes({ kind: "helper", type: verb, helper: buildHelper(slots) }, st);
  }

  if (verb === "rename") {
    if (!sliceEquals(line, objectStart, objectEnd, "resource")) return unknownObject(line, objectStart, objectEnd);
    const st = applyTokens(line, rest, RENAME);
    const slots = st.slots;
    if (st.failure) return st.failure;
    if (!slots[1]) return { kind: "error", reason: "missing-key", message: `no "new_name:" key` };
    return withNotes({ kind: "rename", oldName: slots[0] as string, newName: slots[1] as string }, st);
  }

  if (verb === "Exists" && objectEnd === line.length && sliceEquals(line, objectStart, objectEnd, "-")) {
    return { kind: "end-of-dump" };
  }
  const spec = lookup(OBJECTS, line, objectStart, objectEnd);
  if (spec === undefined) return unknownObject(line, objectStart, objectEnd);
  const st = applyTokens(line, rest, spec.table);
  if (st.failure) return st.failure;
  const slots = st.slots;
  const event: Target = { kind: spec.kind, type: verb };
  event[spec.field] = spec.build(slots);
  return withNotes(event as unknown as Event, st);
}

function unknownObject(line: string, start: number, end: number): ParseFailure {
  return { kind: "error", reason: "unknown-object", message: `unknown object ${quote(line.substring(start, end))}` };
}
