/**
 * Seeded fuzz of the events2 parser and the resource store through
 * Reactor.feedLine: random text, binary garbage, truncated and mutated valid
 * lines, and a few 1 MiB lines. Deterministic: a failure names the seed and
 * the input index, and rerunning reproduces it.
 */
import { describe, expect, test } from "bun:test";
import { PLUGIN_FACTORIES } from "../../../plugins/registry.ts";
import { CONNECTION_STATES, DISK_STATES, pathKey, REPLICATION_STATES, ROLES } from "../../../src/drbd/types.ts";
import { PARSE_FAILURE_REASONS, parseLine, type ParseFailureReason } from "../../../src/core/events2.ts";
import { Reactor } from "../../../src/core/reactor.ts";
import type { ResourceStore } from "../../../src/core/state.ts";
import { LogHub, MemorySink } from "../../../src/log/logger.ts";
import { Prng } from "../../bench/prng.ts";
import { streamLines } from "../../bench/stream.ts";

const SEED = 0x5eed_2024;
const INPUTS = 100_000;
const MIB = 1024 * 1024;

// --- valid lines ---------------------------------------------------------------

const yn = (rng: Prng): string => rng.pick(["yes", "no"]);
const u64 = (rng: Prng): number => rng.pick([0, 1, rng.int(1000), rng.int(2 ** 31), rng.int(2 ** 52)]);

/** A small pool so objects are created, changed, renamed and destroyed again and again. */
function namePool(rng: Prng): string[] {
  const names = ["r0", "r1", "some-resource", "foo", "bar", "pvc-1", "a:b", "ünïcode", "x"];
  for (let i = 0; i < 11; i++) names.push(`res-${rng.hex(6)}`);
  return names;
}

/** One valid events2 line of any kind, with random (valid) values. */
function validLine(rng: Prng, names: readonly string[]): string {
  const name = rng.pick(names);
  const verb = rng.pick(["exists", "create", "change", "change", "change"]);
  const peer = rng.range(0, 3);
  const vol = rng.range(0, 3);
  const conn = `peer-${peer}`;
  const local = `ipv4:10.0.0.1:${7000 + vol}`;
  const remote = `ipv4:10.0.0.${peer + 2}:${7000 + rng.int(2)}`;
  switch (rng.int(16)) {
    case 0:
    case 1:
      return `${verb} resource name:${name} role:${rng.pick(ROLES)} suspended:${rng.pick(["no", "user", "quorum", "user,quorum"])} force-io-failures:no write-ordering:${rng.pick(["none", "drain", "flush"])} may_promote:${yn(rng)} promotion_score:${rng.range(-5, 20000)}`;
    case 2:
    case 3:
      return `${verb} device name:${name} volume:${vol} minor:${1000 + vol} backing_dev:${rng.pick(["none", "/dev/sda1"])} disk:${rng.pick(DISK_STATES)} client:${yn(rng)} open:${yn(rng)} quorum:${yn(rng)} size:${u64(rng)} read:${u64(rng)} written:${u64(rng)} al-writes:${u64(rng)} bm-writes:${u64(rng)} upper-pending:0 lower-pending:0 al-suspended:no${rng.chance(0.3) ? " blocked:no" : ""}`;
    case 4:
    case 5:
      return `${verb} connection name:${name} peer-node-id:${peer} conn-name:${conn} connection:${rng.pick(CONNECTION_STATES)} role:${rng.pick(ROLES)} congested:${yn(rng)} ap-in-flight:${u64(rng)} rs-in-flight:${u64(rng)}`;
    case 6:
    case 7:
      return `${verb} peer-device name:${name} peer-node-id:${peer} conn-name:${conn} volume:${vol} replication:${rng.pick(REPLICATION_STATES)} peer-disk:${rng.pick(DISK_STATES)} peer-client:${yn(rng)} resync-suspended:${rng.pick(["no", "user", "peer,dependency"])} received:${u64(rng)} sent:${u64(rng)} out-of-sync:${u64(rng)} pending:0 unacked:0${rng.chance(0.2) ? ` done:${rng.int(100)}.50 dbdt1:0.24 eta:${rng.pick(["10", "nan"])}` : ""}`;
    case 8:
      return `${verb} path name:${name} peer-node-id:${peer} conn-name:${conn} local:${local} peer:${remote} established:${yn(rng)}`;
    case 9:
      return rng.pick([
        `destroy path name:${name} peer-node-id:${peer} conn-name:${conn} local:${local} peer:${remote}`,
        `destroy peer-device name:${name} peer-node-id:${peer} conn-name:${conn} volume:${vol}`,
        `destroy connection name:${name} peer-node-id:${peer} conn-name:${conn}`,
        `destroy device name:${name} volume:${vol} minor:${1000 + vol}`,
      ]);
    case 10:
      return `destroy resource name:${name}`;
    case 11:
      return rng.chance(0.5)
        ? `call helper name:${name} peer-node-id:${peer} conn-name:${conn} volume:${vol} helper:before-resync-target`
        : `response helper name:${name} peer-node-id:${peer} conn-name:${conn} volume:${vol} helper:before-resync-target status:${rng.int(3)}`;
    case 12:
      return `rename resource name:${name} new_name:${rng.pick(names)}`;
    case 13:
      return rng.chance(0.3) ? "exists -" : `2024-03-27T08:28:17.072611+01:00 change resource name:${name} role:Secondary may_promote:yes promotion_score:1`;
    default:
      return rng.pick(STREAM_LINES);
  }
}

/** Realistic --full lines from the benchmark's generator. */
const STREAM_LINES = streamLines({ seed: SEED, resources: 8, peers: 2, changeLines: 2000, statsShare: 0.8 });

// --- broken lines ------------------------------------------------------------------

const BAD_INTS = [
  "", "-", "+", "12a", "0x1f", "1e3", "1.5", "NaN", "-0", "+-1", "٣", "１２",
  "00000000000000000000001", "-2147483649", "2147483648", "4294967296",
  "9007199254740993", "18446744073709551615", "18446744073709551616", "99999999999999999999999999",
];
const ODD_WORDS = ["", "-", ":", "::", "primary", "UPTODATE", "Unknown", "Connected ", "nan", "\u0000", "é", "🙂", "\ud800"];
const WHITESPACE = [" ", "  ", "\t", " \t ", "\r", "\v", "\f", "\n"];

function randomWord(rng: Prng): string {
  if (rng.chance(0.3)) return rng.pick(ODD_WORDS);
  let s = "";
  const n = rng.range(1, 12);
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.range(33, 126));
  return s;
}

/** Apply 1–3 mutations to a valid line. */
function mutate(rng: Prng, line: string): string {
  const tokens = line.split(" ");
  const rounds = rng.range(1, 3);
  for (let r = 0; r < rounds; r++) {
    const i = tokens.length > 2 ? rng.range(2, tokens.length - 1) : 0;
    const token = tokens[i] ?? "";
    const colon = token.indexOf(":");
    const key = colon >= 0 ? token.slice(0, colon) : token;
    switch (rng.int(10)) {
      case 0: // bad or huge integer in whatever key
        tokens[i] = `${key}:${rng.pick(BAD_INTS)}`;
        break;
      case 1: // unknown enum value (or any other odd value)
        tokens[i] = `${key}:${randomWord(rng)}`;
        break;
      case 2: // unknown key, or a token without colon
        tokens.splice(i, 0, rng.chance(0.5) ? `${randomWord(rng)}:${randomWord(rng)}` : randomWord(rng));
        break;
      case 3: // drop a token (often the name)
        tokens.splice(rng.chance(0.5) ? 2 : i, 1);
        break;
      case 4: // repeated key
        tokens.push(`${key}:${rng.chance(0.5) ? randomWord(rng) : rng.pick(BAD_INTS)}`);
        break;
      case 5: // verb
        tokens[0] = rng.pick(["exists", "create", "change", "destroy", "call", "response", "rename", "Exists", "", "-", randomWord(rng)]);
        break;
      case 6: // object
        tokens[1] = rng.pick(["resource", "device", "connection", "peer-device", "path", "helper", "-", "Resource", "", randomWord(rng)]);
        break;
      case 7: // name value
        tokens[2] = `name:${rng.pick(["", ":", " ", randomWord(rng), "x".repeat(rng.range(100, 2000))])}`;
        break;
      case 8: // the value of a known int key
        tokens[i] = `${rng.pick(["volume", "minor", "peer-node-id", "promotion_score", "size", "status"])}:${rng.pick(BAD_INTS)}`;
        break;
      default: // swap two tokens
        {
          const j = rng.int(tokens.length);
          const t = tokens[i]!;
          tokens[i] = tokens[j]!;
          tokens[j] = t;
        }
        break;
    }
  }
  // Sometimes odd whitespace between tokens and around the line.
  if (rng.chance(0.2)) {
    let s = rng.chance(0.5) ? rng.pick(WHITESPACE) : "";
    for (let t = 0; t < tokens.length; t++) s += (t ? rng.pick(WHITESPACE) : "") + tokens[t];
    return s + (rng.chance(0.5) ? rng.pick(WHITESPACE) : "");
  }
  return tokens.join(" ");
}

function randomBytes(rng: Prng, n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = rng.int(256);
  return bytes;
}

const decoder = new TextDecoder(); // not fatal: invalid UTF-8 becomes U+FFFD

/** Random UTF-16 code units, lone surrogates and NULs included. */
function binaryGarbage(rng: Prng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.chance(0.7) ? rng.int(256) : rng.int(65536));
  return s;
}

/** A handful of 1 MiB lines. */
function hugeLines(rng: Prng): string[] {
  const unknownKeys = "k:v ".repeat(MIB / 4);
  return [
    `change resource name:big-unknown ${unknownKeys}role:Primary`,
    `exists resource name:${"n".repeat(MIB)} role:Secondary may_promote:yes`,
    `exists device name:big volume:${"9".repeat(MIB)}`,
    decoder.decode(randomBytes(rng, MIB)),
    " ".repeat(MIB),
    `change peer-device name:big peer-node-id:1 volume:0 conn-name:${"c".repeat(MIB)} peer-disk:UpToDate`,
  ];
}

/** The next fuzz input. */
function nextInput(rng: Prng, names: readonly string[]): string {
  const p = rng.next();
  if (p < 0.25) return validLine(rng, names);
  if (p < 0.4) {
    const line = validLine(rng, names);
    return line.slice(0, rng.int(line.length + 1)); // truncated
  }
  if (p < 0.75) return mutate(rng, validLine(rng, names));
  if (p < 0.88) return decoder.decode(randomBytes(rng, rng.int(300)));
  return binaryGarbage(rng, rng.int(300));
}

// --- checks --------------------------------------------------------------------------

/** Every stored object carries its resource's name and sits under its own key, keys ascending. */
function storeProblems(store: ResourceStore): string[] {
  const problems: string[] = [];
  let count = 0;
  const ascending = (keys: readonly number[]): boolean => keys.every((k, i) => i === 0 || keys[i - 1]! < k);
  for (const r of store.resources()) {
    count++;
    const where = `resource ${JSON.stringify(r.name.slice(0, 40))}`;
    if (store.get(r.name) !== r) problems.push(`${where}: not stored under its name`);
    for (const [volume, d] of r.devices) {
      if (d.name !== r.name) problems.push(`${where}: device ${volume} has name ${JSON.stringify(d.name)}`);
      if (d.volume !== volume) problems.push(`${where}: device under key ${volume} has volume ${d.volume}`);
    }
    if (!ascending([...r.devices.keys()])) problems.push(`${where}: device keys not ascending`);
    if (!ascending([...r.connections.keys()])) problems.push(`${where}: connection keys not ascending`);
    for (const [peer, c] of r.connections) {
      if (c.name !== r.name) problems.push(`${where}: connection ${peer} has name ${JSON.stringify(c.name)}`);
      if (c.peerNodeId !== peer) problems.push(`${where}: connection under key ${peer} has peer-node-id ${c.peerNodeId}`);
      for (const [volume, pd] of c.peerDevices) {
        if (pd.name !== r.name) problems.push(`${where}: peer device ${peer}/${volume} has name ${JSON.stringify(pd.name)}`);
        if (pd.volume !== volume) problems.push(`${where}: peer device under key ${volume} has volume ${pd.volume}`);
        if (pd.peerNodeId !== peer) problems.push(`${where}: peer device under connection ${peer} has peer-node-id ${pd.peerNodeId}`);
      }
      if (!ascending([...c.peerDevices.keys()])) problems.push(`${where}: peer device keys of ${peer} not ascending`);
      for (const [key, p] of c.paths) {
        if (p.name !== r.name) problems.push(`${where}: path ${key} has name ${JSON.stringify(p.name)}`);
        if (p.peerNodeId !== peer) problems.push(`${where}: path under connection ${peer} has peer-node-id ${p.peerNodeId}`);
        if (pathKey(p.local, p.peer) !== key) problems.push(`${where}: path under key ${key} is ${pathKey(p.local, p.peer)}`);
      }
    }
  }
  if (count !== store.size) problems.push(`store.size ${store.size} but ${count} resources iterated`);
  return problems;
}

function newReactor(): { reactor: Reactor; sink: MemorySink } {
  const sink = new MemorySink("warn");
  const hub = new LogHub([sink]);
  return { reactor: new Reactor({ log: hub.logger("core"), factories: PLUGIN_FACTORIES }), sink };
}

// --- the test ----------------------------------------------------------------------

describe("events2 fuzz through Reactor.feedLine", () => {
  test(`${INPUTS} seeded inputs (seed ${SEED.toString(16)}) never throw, are all counted, keep the store consistent`, () => {
    const rng = new Prng(SEED);
    const names = namePool(rng);
    const { reactor, sink } = newReactor();
    const expected = Object.fromEntries(PARSE_FAILURE_REASONS.map((r) => [r, 0])) as Record<ParseFailureReason, number>;
    let rejected = 0;
    let fed = 0;
    const kinds = new Map<string, number>();

    const feed = (line: string, index: number): void => {
      const parsed = parseLine(line);
      kinds.set(parsed.kind, (kinds.get(parsed.kind) ?? 0) + 1);
      if (parsed.kind === "error") {
        expected[parsed.reason]++;
        rejected++;
      }
      try {
        reactor.feedLine(line);
      } catch (e) {
        throw new Error(`seed ${SEED}, input #${index} ${JSON.stringify(line.slice(0, 300))} threw: ${(e as Error).stack}`);
      }
      fed++;
    };

    const huge = hugeLines(rng);
    const hugeAt = new Map(huge.map((line, i) => [Math.floor(((i + 1) * INPUTS) / (huge.length + 1)), line]));
    for (let i = 0; i < INPUTS; i++) {
      const big = hugeAt.get(i);
      feed(big ?? nextInput(rng, names), i);
      if (i % 20_000 === 19_999) expect(storeProblems(reactor.store)).toEqual([]);
    }

    expect(reactor.counters.lines).toBe(fed);
    expect(fed).toBe(INPUTS);
    for (const reason of PARSE_FAILURE_REASONS) expect({ reason, n: reactor.counters.rejected[reason] }).toEqual({ reason, n: expected[reason] });
    expect(reactor.counters.rejected["too-long"]).toBe(0);
    expect(reactor.counters.rejectedTotal).toBe(rejected);
    expect(storeProblems(reactor.store)).toEqual([]);
    // The mix really exercised both sides: plenty of accepted lines of every kind and every rejection reason.
    for (const kind of ["resource", "device", "connection", "peer-device", "path", "helper", "rename", "end-of-dump"]) {
      expect({ kind, many: (kinds.get(kind) ?? 0) > 100 }).toEqual({ kind, many: true });
    }
    for (const reason of PARSE_FAILURE_REASONS) expect({ reason, some: expected[reason] > 0 }).toEqual({ reason, some: true });
    expect(reactor.store.size).toBeGreaterThan(0);
    // Only warnings (rate-limited rejections, rounded values), never errors.
    expect(sink.lines.every((l) => l.startsWith("WARN "))).toBe(true);

    // Known-good lines still work after all that.
    const R = "fuzz-known-good";
    const known = [
      `exists resource name:${R} role:Secondary suspended:no force-io-failures:no write-ordering:none may_promote:yes promotion_score:10101`,
      `exists connection name:${R} peer-node-id:1 conn-name:peer-a connection:Connected role:Secondary congested:no ap-in-flight:0 rs-in-flight:0`,
      `exists connection name:${R} peer-node-id:2 conn-name:peer-b connection:Connecting role:Unknown congested:no ap-in-flight:0 rs-in-flight:0`,
      `exists device name:${R} volume:0 minor:1000 backing_dev:/dev/sda disk:UpToDate client:no open:no quorum:yes size:5 read:10 written:15 al-writes:40 bm-writes:50 upper-pending:0 lower-pending:0 al-suspended:no blocked:no`,
      `exists peer-device name:${R} peer-node-id:1 conn-name:peer-a volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no received:5 sent:10 out-of-sync:0 pending:0 unacked:0`,
      `exists path name:${R} peer-node-id:1 conn-name:peer-a local:ipv4:1.2.3.4:7789 peer:ipv4:5.6.7.8:7790 established:yes`,
    ];
    for (const line of known) feed(line, -1);
    const updatesBefore = reactor.counters.updates;
    feed(`change resource name:${R} role:Primary suspended:no force-io-failures:no write-ordering:none may_promote:no promotion_score:10102`, -1);
    expect(reactor.counters.updates).toBe(updatesBefore + 1);
    feed(`change peer-device name:${R} peer-node-id:1 conn-name:peer-a volume:0 replication:SyncSource peer-disk:Inconsistent peer-client:no resync-suspended:no received:5 sent:99 out-of-sync:7 pending:0 unacked:0`, -1);
    expect(reactor.counters.updates).toBe(updatesBefore + 2);

    const r = reactor.store.get(R);
    expect(r).toBeDefined();
    expect({ role: r!.role, mayPromote: r!.mayPromote, promotionScore: r!.promotionScore }).toEqual({
      role: "Primary",
      mayPromote: false,
      promotionScore: 10102,
    });
    expect([...r!.devices.keys()]).toEqual([0]);
    expect(r!.devices.get(0)).toMatchObject({ name: R, volume: 0, minor: 1000, diskState: "UpToDate", backingDev: "/dev/sda" });
    expect([...r!.connections.keys()]).toEqual([1, 2]);
    expect(r!.connections.get(2)).toMatchObject({ connName: "peer-b", connection: "Connecting", peerRole: "Unknown" });
    const c1 = r!.connections.get(1)!;
    expect(c1).toMatchObject({ connName: "peer-a", connection: "Connected", peerRole: "Secondary" });
    expect(c1.peerDevices.get(0)).toMatchObject({ replication: "SyncSource", peerDisk: "Inconsistent", sent: 99, outOfSync: 7 });
    expect([...c1.paths.values()]).toMatchObject([{ local: "ipv4:1.2.3.4:7789", peer: "ipv4:5.6.7.8:7790", established: true }]);

    feed(`destroy resource name:${R}`, -1);
    expect(reactor.store.get(R)).toBeUndefined();
    expect(reactor.counters.lines).toBe(fed);
    expect(storeProblems(reactor.store)).toEqual([]);
  });

  test("the same seed gives the same inputs", () => {
    const take = (): string[] => {
      const rng = new Prng(SEED);
      const names = namePool(rng);
      return Array.from({ length: 200 }, () => nextInput(rng, names));
    };
    expect(take()).toEqual(take());
  });
});
