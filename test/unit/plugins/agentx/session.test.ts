/**
 * The AgentX session against a scripted master over a real Unix socket:
 * Open/Register contents, request routing, byte order, the answers a
 * read-only subagent gives, malformed input, Close, Ping, duplicate
 * registration, backoff and its logging, stop.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogHub, MemorySink } from "../../../../src/log/logger.ts";
import { encodePdu } from "../../../../plugins/agentx/protocol/index.ts";
import {
  Flags,
  type Pdu,
  PduType,
  ResponseError,
  type SearchRange,
  type VarBind,
} from "../../../../plugins/agentx/protocol/types.ts";
import type { MibHandler } from "../../../../plugins/agentx/responder.ts";
import { LINBIT_OID } from "../../../../plugins/agentx/mib.ts";
import { AgentxSession, REGISTER_PRIORITY, SUBAGENT_DESCRIPTION } from "../../../../plugins/agentx/session.ts";
import { until } from "../../../helpers/until.ts";
import { FakeMaster, type MasterConnection } from "./fake-master.ts";

const MODULE_VERSION = [1, 3, 6, 1, 4, 1, 23302, 1, 1, 1];

/** A MIB that records calls and answers with recognisable values. */
class RecordingMib implements MibHandler {
  readonly calls: string[] = [];
  get(ranges: readonly SearchRange[]): VarBind[] {
    this.calls.push(`get ${ranges.length}`);
    return ranges.map((r) => ({ name: r.start, value: { type: 4, value: new TextEncoder().encode("9.2.12") } }));
  }
  getNext(ranges: readonly SearchRange[]): VarBind[] {
    this.calls.push(`getNext ${ranges.length}`);
    return ranges.map((r) => ({ name: [...r.start, 1], value: { type: 2, value: 7 } }));
  }
  getBulk(nonRepeaters: number, maxRepetitions: number, ranges: readonly SearchRange[]): VarBind[] {
    this.calls.push(`getBulk ${nonRepeaters} ${maxRepetitions} ${ranges.length}`);
    return [{ name: ranges[0]!.start, value: { type: 130 } }];
  }
}

let dir: string;
let master: FakeMaster | undefined;
let session: AgentxSession | undefined;

afterEach(async () => {
  await session?.stop();
  master?.stop();
  session = undefined;
  master = undefined;
  rmSync(dir, { recursive: true, force: true });
});

interface SetupOptions {
  networkByteOrder?: boolean;
  pingIntervalMs?: number;
  responseTimeoutMs?: number;
  noMaster?: boolean;
  /** Script the master before the subagent can connect. */
  prepare?: (master: FakeMaster) => void;
}

function setup(opts: SetupOptions = {}) {
  dir = mkdtempSync(join(tmpdir(), "agentx-session-"));
  const path = join(dir, "master");
  if (!opts.noMaster) {
    master = new FakeMaster(path);
    opts.prepare?.(master);
  }
  const sink = new MemorySink("trace");
  const mib = new RecordingMib();
  session = new AgentxSession({
    address: { kind: "unix", path },
    agentTimeout: 42,
    mib,
    log: new LogHub([sink]).logger("agentx"),
    initialBackoffMs: 20,
    maxBackoffMs: 80,
    pingIntervalMs: opts.pingIntervalMs ?? 60_000,
    responseTimeoutMs: opts.responseTimeoutMs ?? 2000,
    networkByteOrder: opts.networkByteOrder ?? false,
  });
  session.start();
  return { path, sink, mib, session };
}

const ids = (conn: MasterConnection, packetId: number, flags = 0) => ({
  flags,
  sessionId: 41,
  transactionId: 9,
  packetId,
});

async function registered(): Promise<MasterConnection> {
  await until("the session to register", () => session!.state === "registered");
  return master!.last;
}

/** Wait for the subagent's Response to `packetId` on `conn`. */
function responseFor(conn: MasterConnection, packetId: number): Promise<Extract<Pdu, { type: 18 }>> {
  return until(`a Response to packet ${packetId}`, () =>
    conn.received.find((p): p is Extract<Pdu, { type: 18 }> => p.type === PduType.Response && p.packetId === packetId),
  );
}

const range = (start: number[], include = false, end: number[] = []): SearchRange => ({ start, include, end });

describe("opening", () => {
  test("Open names this subagent and the LINBIT subtree; Register uses priority 127 and no context", async () => {
    const { sink } = setup();
    const conn = await registered();
    const [open, register] = conn.received;
    expect(open).toMatchObject({ type: PduType.Open, flags: 0, sessionId: 0, transactionId: 0, timeout: 42, id: LINBIT_OID });
    expect(new TextDecoder().decode((open as Extract<Pdu, { type: 1 }>).description)).toBe(SUBAGENT_DESCRIPTION);
    // The session id the master assigned (41) is used from then on.
    expect(register).toMatchObject({
      type: PduType.Register,
      flags: 0,
      sessionId: 41,
      priority: REGISTER_PRIORITY,
      rangeSubid: 0,
      timeout: 0,
      subtree: LINBIT_OID,
    });
    expect(register!.packetId).not.toBe(open!.packetId);
    expect(sink.lines.some((l) => l.includes("registered LINBIT-DRBD-MIB") && l.includes("(session 41)"))).toBe(true);
  });

  test("network byte order when configured: every PDU of ours carries the flag", async () => {
    setup({ networkByteOrder: true });
    const conn = await registered();
    expect(conn.received.map((p) => p.flags)).toEqual([Flags.NetworkByteOrder, Flags.NetworkByteOrder]);
  });

  test("a refused Open is logged with the error name and retried", async () => {
    const { sink } = setup({ prepare: (m) => m.openErrors.push(ResponseError.OpenFailed) });
    await registered();
    expect(master!.connections.length).toBe(2);
    expect(sink.lines.some((l) => l.includes("WARN") && l.includes("refused our Open PDU: openFailed (256)"))).toBe(true);
    expect(sink.lines.some((l) => l.includes("registered") && l.includes("again after 1 failed attempt"))).toBe(true);
  });

  test("duplicate registration is logged clearly, then retried until the master accepts", async () => {
    const { sink } = setup({
      prepare: (m) => m.registerErrors.push(ResponseError.DuplicateRegistration, ResponseError.DuplicateRegistration),
    });
    await registered();
    expect(master!.connections.length).toBe(3);
    const warnings = sink.lines.filter((l) => l.includes("duplicateRegistration (263)"));
    expect(warnings.length).toBe(2);
    // The same problem twice: one warning, the repeat at debug.
    expect(warnings[0]).toContain("WARN");
    expect(warnings[0]).toContain("another subagent already serves 1.3.6.1.4.1.23302");
    expect(warnings[1]).toContain("DEBUG");
  });
});

describe("serving", () => {
  test("Get, GetNext and GetBulk go to the MIB; the Response copies IDs and byte order", async () => {
    const { mib } = setup();
    const conn = await registered();
    master!.send(conn, { type: PduType.Get, ...ids(conn, 100), ranges: [range(MODULE_VERSION), range([1, 3, 6, 1, 4, 1, 23302, 9])] });
    const get = await responseFor(conn, 100);
    expect(get).toMatchObject({ flags: 0, sessionId: 41, transactionId: 9, error: 0, index: 0 });
    expect(get.varbinds.map((v) => v.name)).toEqual([MODULE_VERSION, [1, 3, 6, 1, 4, 1, 23302, 9]]);

    // A request in network byte order is answered in network byte order.
    master!.send(conn, { type: PduType.GetNext, ...ids(conn, 101, Flags.NetworkByteOrder), ranges: [range(LINBIT_OID as number[])] });
    const next = await responseFor(conn, 101);
    expect(next.flags).toBe(Flags.NetworkByteOrder);
    expect(next.varbinds).toEqual([{ name: [...LINBIT_OID, 1], value: { type: 2, value: 7 } }]);

    master!.send(conn, { type: PduType.GetBulk, ...ids(conn, 102), nonRepeaters: 1, maxRepetitions: 25, ranges: [range(MODULE_VERSION)] });
    await responseFor(conn, 102);
    expect(mib.calls).toEqual(["get 2", "getNext 1", "getBulk 1 25 1"]);
  });

  test("read-only: TestSet → notWritable on varbind 1, CommitSet/UndoSet → noError, CleanupSet → no response", async () => {
    setup();
    const conn = await registered();
    master!.send(conn, {
      type: PduType.TestSet,
      ...ids(conn, 200),
      varbinds: [{ name: MODULE_VERSION, value: { type: 4, value: new Uint8Array([1]) } }],
    });
    expect(await responseFor(conn, 200)).toMatchObject({ error: ResponseError.NotWritable, index: 1 });
    master!.send(conn, { type: PduType.CommitSet, ...ids(conn, 201) });
    expect(await responseFor(conn, 201)).toMatchObject({ error: 0, index: 0 });
    master!.send(conn, { type: PduType.UndoSet, ...ids(conn, 202) });
    expect(await responseFor(conn, 202)).toMatchObject({ error: 0 });
    master!.send(conn, { type: PduType.CleanupSet, ...ids(conn, 203) });
    master!.send(conn, { type: PduType.Get, ...ids(conn, 204), ranges: [range(MODULE_VERSION)] });
    await responseFor(conn, 204);
    // Responses arrive in request order: nothing came for 203 before 204's.
    expect(conn.received.filter((p) => p.type === PduType.Response).map((p) => p.packetId)).toEqual([200, 201, 202, 204]);
  });

  test("a non-default context → unsupportedContext; PDUs a master never sends → processingError; the session goes on", async () => {
    const { mib } = setup();
    const conn = await registered();
    master!.send(conn, {
      type: PduType.Get,
      ...ids(conn, 300, Flags.NonDefaultContext),
      context: new TextEncoder().encode("other"),
      ranges: [range(MODULE_VERSION)],
    });
    expect(await responseFor(conn, 300)).toMatchObject({ error: ResponseError.UnsupportedContext });
    master!.send(conn, { type: PduType.Notify, ...ids(conn, 301), varbinds: [] });
    expect(await responseFor(conn, 301)).toMatchObject({ error: ResponseError.ProcessingError });
    master!.send(conn, { type: PduType.Get, ...ids(conn, 302), ranges: [range(MODULE_VERSION)] });
    expect(await responseFor(conn, 302)).toMatchObject({ error: 0 });
    expect(mib.calls).toEqual(["get 1"]);
    expect(master!.connections.length).toBe(1);
  });

  test("PDUs split into single bytes and coalesced into one write are all answered", async () => {
    setup();
    const conn = await registered();
    const a = encodePdu({ type: PduType.Get, ...ids(conn, 400), ranges: [range(MODULE_VERSION)] });
    const b = encodePdu({ type: PduType.GetNext, ...ids(conn, 401, Flags.NetworkByteOrder), ranges: [range(MODULE_VERSION)] });
    master!.sendBytes(conn, new Uint8Array([...a, ...b]));
    await responseFor(conn, 401);
    const c = encodePdu({ type: PduType.Get, ...ids(conn, 402), ranges: [range(MODULE_VERSION)] });
    for (const byte of c) {
      master!.sendBytes(conn, new Uint8Array([byte]));
      await Bun.sleep(0);
    }
    await responseFor(conn, 402);
    expect(conn.received.filter((p) => p.type === PduType.Response).map((p) => p.packetId)).toEqual([400, 401, 402]);
  });

  test("a PDU with a readable header but a broken payload → parseError, session kept", async () => {
    const { sink } = setup();
    const conn = await registered();
    // A Get whose SearchRange claims 200 sub-identifiers (more than RFC 2741's 128).
    const bytes = encodePdu({ type: PduType.Get, ...ids(conn, 500), ranges: [range(MODULE_VERSION)] });
    bytes[20] = 200;
    master!.sendBytes(conn, bytes);
    expect(await responseFor(conn, 500)).toMatchObject({ error: ResponseError.ParseError });
    expect(sink.lines.some((l) => l.includes("malformed PDU from the master"))).toBe(true);
    master!.send(conn, { type: PduType.Get, ...ids(conn, 501), ranges: [range(MODULE_VERSION)] });
    expect(await responseFor(conn, 501)).toMatchObject({ error: 0 });
    expect(master!.connections.length).toBe(1);
  });

  test("a stream whose length field is garbage resets the session and the subagent reconnects", async () => {
    const { sink } = setup();
    const conn = await registered();
    const bytes = new Uint8Array(20);
    bytes.set([1, PduType.Get, 0, 0]);
    bytes[16] = 3; // payload length 3: not a multiple of 4
    master!.sendBytes(conn, bytes);
    await until("a second connection", () => master!.connections.length === 2 && session!.state === "registered");
    expect(sink.lines.some((l) => l.includes("malformed AgentX stream"))).toBe(true);
  });
});

describe("losing the master", () => {
  test("Close from the master → reconnect and register again", async () => {
    const { sink } = setup();
    const conn = await registered();
    master!.send(conn, { type: PduType.Close, ...ids(conn, 600), reason: 6 });
    await until("a new registration", () => master!.connections.length === 2 && session!.state === "registered");
    expect(sink.lines.some((l) => l.includes("WARN") && l.includes("the master closed the session (reason byManager)"))).toBe(true);
  });

  test("EOF (snmpd killed: no Close PDU) → reconnect", async () => {
    setup();
    const conn = await registered();
    conn.socket.end();
    await until("a new registration", () => master!.connections.length === 2 && session!.state === "registered");
  });

  test("a master that stops answering Pings is given up on and reconnected", async () => {
    const { sink } = setup({ pingIntervalMs: 30, responseTimeoutMs: 100 });
    const conn = await registered();
    await until("a ping", () => master!.receivedOf(conn, PduType.Ping).length > 0);
    master!.ignorePings = true;
    await until("a second connection", () => master!.connections.length === 2);
    master!.ignorePings = false;
    await registered();
    expect(sink.lines.some((l) => l.includes("did not answer our Ping within 0.1 s"))).toBe(true);
  });

  test("no master: warn once, then debug; delays double up to the maximum", async () => {
    const { sink, path } = setup({ noMaster: true });
    await until("five attempts", () => sink.lines.filter((l) => l.includes("cannot connect")).length >= 5);
    const attempts = sink.lines.filter((l) => l.includes("cannot connect"));
    expect(attempts[0]).toContain("WARN");
    expect(attempts[0]).toContain(`unix:${path}: cannot connect: ENOENT (no socket there: is snmpd running with \`master agentx\`?)`);
    expect(attempts.slice(1).every((l) => l.includes("DEBUG"))).toBe(true);
    expect(attempts.slice(0, 5).map((l) => /retrying in ([0-9.]+) s/.exec(l)![1])).toEqual(["0.02", "0.04", "0.08", "0.08", "0.08"]);
    // The master appears: the session registers and says so.
    master = new FakeMaster(path);
    await registered();
    expect(sink.lines.at(-1)).toMatch(/INFO.*registered LINBIT-DRBD-MIB .* again after \d+ failed attempts/);
  });

  test("stop() closes politely (Close reason shutdown) and does not reconnect", async () => {
    setup();
    const conn = await registered();
    await session!.stop();
    expect(master!.receivedOf(conn, PduType.Close)).toMatchObject([{ reason: 5 }]);
    await until("the connection to end", () => conn.closed);
    expect(session!.state).toBe("stopped");
    expect(master!.connections.length).toBe(1);
  });
});
