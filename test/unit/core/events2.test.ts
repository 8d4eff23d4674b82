import { describe, expect, test } from "bun:test";
import { parseBool, parseLine, type Event } from "../../../src/core/events2.ts";

/** Parse and fail the test unless the line parsed. */
function parsed(line: string): Event {
  const r = parseLine(line);
  if (r.kind === "error") throw new Error(`unexpected rejection of ${line}: ${r.message}`);
  return r;
}

function rejected(line: string): string {
  const r = parseLine(line);
  if (r.kind !== "error") throw new Error(`expected rejection of ${line}, got ${JSON.stringify(r)}`);
  return r.reason;
}

/** Insert an unknown token after the name, as upstream's tests do. */
const withUnknown = (line: string) => line.replace(/(name:\S+)/, "$1 xxx:bla");

describe("bool rule", () => {
  test("false only for no and false", () => {
    expect(["yes", "no", "true", "false", "user", "unknown", "0", "", "user,quorum"].map(parseBool)).toEqual([
      true,
      false,
      true,
      false,
      true,
      true,
      true,
      true,
      true,
    ]);
  });
});

describe("resource lines", () => {
  const line = "exists resource name:foo role:Primary suspended:yes write-ordering:foo may_promote:yes promotion_score:23";
  for (const input of [line, withUnknown(line)]) {
    test(`all fields: ${input.includes("xxx") ? "with" : "without"} unknown key`, () => {
      const e = parsed(input);
      expect(e).toMatchObject({
        kind: "resource",
        type: "Exists",
        resource: {
          name: "foo",
          role: "Primary",
          suspended: true,
          writeOrdering: "foo",
          mayPromote: true,
          promotionScore: 23,
          forceIoFailures: false,
        },
      });
      expect(e.unknownKeys).toEqual(input.includes("xxx") ? ["xxx"] : undefined);
    });
  }

  test("suspended:user and comma combinations are true; force-io-failures is kept", () => {
    const e = parsed("change resource name:r role:Secondary suspended:user,quorum force-io-failures:yes");
    expect(e).toMatchObject({ resource: { suspended: true, forceIoFailures: true } });
  });

  test("absent keys take defaults (old kernels print fewer keys)", () => {
    const e = parsed("exists resource name:drbd1 role:Secondary suspended:no write-ordering:flush");
    expect(e).toMatchObject({ resource: { mayPromote: false, promotionScore: 0 } });
  });

  test("negative promotion score is an i32", () => {
    expect(parsed("change resource name:r promotion_score:-5")).toMatchObject({ resource: { promotionScore: -5 } });
  });
});

describe("device lines", () => {
  const line1 =
    "change device name:foo volume:1 minor:1 disk:Attaching backing_dev:/dev/sda1 client:no quorum:yes size:1 read:1 written:1 al-writes:1 bm-writes:1 upper-pending:1 lower-pending:1 al-suspended:yes blocked:upper open:yes";
  const line2 =
    "change device name:foo volume:1 minor:1 disk:Attaching backing_dev:none client:yes quorum:yes size:1 read:1 written:1 al-writes:1 bm-writes:1 upper-pending:1 lower-pending:1 al-suspended:yes blocked:no";

  for (const input of [line1, withUnknown(line1)]) {
    test(`all fields${input.includes("xxx") ? " with unknown key" : ""}`, () => {
      expect(parsed(input)).toMatchObject({
        kind: "device",
        type: "Change",
        device: {
          name: "foo",
          volume: 1,
          minor: 1,
          diskState: "Attaching",
          backingDev: "/dev/sda1",
          client: false,
          quorum: true,
          size: 1,
          read: 1,
          written: 1,
          alWrites: 1,
          bmWrites: 1,
          upperPending: 1,
          lowerPending: 1,
          alSuspended: true,
          blocked: "upper",
          open: true,
        },
      });
    });
  }

  test("backing_dev:none is no backing device; missing open is false", () => {
    expect(parsed(line2)).toMatchObject({ device: { backingDev: null, client: true, blocked: "no", open: false } });
  });

  test("client:unknown and open:unknown are true (the bool rule)", () => {
    expect(parsed("exists device name:r volume:0 client:unknown open:unknown")).toMatchObject({
      device: { client: true, open: true },
    });
  });
});

describe("connection lines", () => {
  const line =
    "exists connection name:foo peer-node-id:1 conn-name:bar connection:Connected role:Primary congested:yes ap-in-flight:1 rs-in-flight:1";
  for (const input of [line, withUnknown(line)]) {
    test(`all fields${input.includes("xxx") ? " with unknown key" : ""}`, () => {
      expect(parsed(input)).toMatchObject({
        kind: "connection",
        type: "Exists",
        connection: {
          name: "foo",
          peerNodeId: 1,
          connName: "bar",
          connection: "Connected",
          peerRole: "Primary",
          congested: true,
          apInFlight: 1,
          rsInFlight: 1,
          syncState: "",
        },
      });
    });
  }

  test("sync-state is kept (split brain is visible)", () => {
    expect(
      parsed("change connection name:r peer-node-id:2 conn-name:c connection:StandAlone role:Unknown sync-state:SplitBrain"),
    ).toMatchObject({ connection: { connection: "StandAlone", syncState: "SplitBrain" } });
  });
});

describe("peer-device lines", () => {
  const line =
    "exists peer-device name:foo peer-node-id:1 conn-name:bar volume:1 replication:Established peer-disk:UpToDate peer-client:yes resync-suspended:yes received:1 sent:1 out-of-sync:1 pending:1 unacked:1";
  for (const input of [line, withUnknown(line)]) {
    test(`all fields${input.includes("xxx") ? " with unknown key" : ""}`, () => {
      expect(parsed(input)).toMatchObject({
        kind: "peer-device",
        type: "Exists",
        peerDevice: {
          name: "foo",
          peerNodeId: 1,
          connName: "bar",
          volume: 1,
          replication: "Established",
          peerDisk: "UpToDate",
          peerClient: true,
          resyncSuspended: true,
          received: 1,
          sent: 1,
          outOfSync: 1,
          pending: 1,
          unacked: 1,
          resyncDone: null,
          resyncEta: null,
          resyncRate: null,
        },
      });
    });
  }

  test("resync progress is kept (drbd-utils events2-sync capture)", () => {
    const e = parsed(
      "change peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0 replication:SyncSource peer-disk:Inconsistent peer-client:no done:37.50 received:5 sent:10 out-of-sync:2500 pending:30 unacked:40 dbdt1:0.24 eta:10",
    );
    expect(e).toMatchObject({
      peerDevice: { replication: "SyncSource", outOfSync: 2500, resyncDone: 37.5, resyncRate: 0.24, resyncEta: 10 },
    });
    expect(e.unknownKeys).toBeUndefined();
  });

  test("eta:nan becomes null without rejecting the line", () => {
    expect(parsed("change peer-device name:r peer-node-id:1 volume:0 done:0.00 eta:nan")).toMatchObject({
      peerDevice: { resyncDone: 0, resyncEta: null },
    });
  });
});

describe("path lines", () => {
  test("values keep their colons", () => {
    expect(
      parsed("change path name:foo peer-node-id:3 conn-name:bar local:ipv4:1.2.3.4:7020 peer:ipv4:1.2.3.5:7020 established:yes"),
    ).toEqual({
      kind: "path",
      type: "Change",
      path: {
        name: "foo",
        peerNodeId: 3,
        connName: "bar",
        local: "ipv4:1.2.3.4:7020",
        peer: "ipv4:1.2.3.5:7020",
        established: true,
      },
    });
  });
  test("ipv6 addresses", () => {
    expect(parsed("exists path name:r peer-node-id:1 local:ipv6:[fd00::1]:7000 peer:ipv6:[fd00::2]:7000")).toMatchObject({
      path: { local: "ipv6:[fd00::1]:7000", peer: "ipv6:[fd00::2]:7000" },
    });
  });
});

describe("lines upstream drops", () => {
  test("exists - ends the initial dump", () => {
    expect(parsed("exists -")).toEqual({ kind: "end-of-dump" });
    expect(parsed("  exists -\r")).toEqual({ kind: "end-of-dump" });
  });

  test("call helper and response helper become events", () => {
    expect(
      parsed("call helper name:some-resource peer-node-id:1 conn-name:some-peer volume:0 helper:before-resync-target"),
    ).toEqual({
      kind: "helper",
      type: "call",
      helper: {
        name: "some-resource",
        helper: "before-resync-target",
        volume: 0,
        minor: null,
        peerNodeId: 1,
        connName: "some-peer",
        status: null,
      },
    });
    expect(
      parsed("response helper name:some-resource peer-node-id:1 conn-name:some-peer volume:0 helper:before-resync-target status:1"),
    ).toMatchObject({ kind: "helper", type: "response", helper: { status: 1 } });
  });

  test("rename resource", () => {
    expect(parsed("rename resource name:old new_name:new")).toEqual({ kind: "rename", oldName: "old", newName: "new" });
    expect(rejected("rename resource name:old")).toBe("missing-key");
  });

  test("a --timestamps stamp is skipped", () => {
    const e = parsed(
      "2017-03-27T08:28:17.072611-07:00 exists device name:test0 volume:0 minor:0 disk:UpToDate client:no size:4056 read:1340",
    );
    expect(e).toMatchObject({ kind: "device", type: "Exists", device: { name: "test0", size: 4056, read: 1340 } });
    expect(parsed("2026-11-21T10:00:00.000001+01:00 exists -")).toEqual({ kind: "end-of-dump" });
  });

  test("arbitrary whitespace between tokens", () => {
    expect(parsed("change\tresource   name:r \t role:Primary ")).toMatchObject({ resource: { name: "r", role: "Primary" } });
  });
});

describe("rejected lines", () => {
  test("unknown verbs and objects (upstream test vectors)", () => {
    expect(rejected("xxx resource name:foo")).toBe("unknown-verb");
    expect(rejected("exists xxx name:foo")).toBe("unknown-object");
    expect(rejected("call helper")).toBe("missing-key");
    expect(rejected("response helper")).toBe("missing-key");
    expect(rejected("")).toBe("empty");
    expect(rejected("   ")).toBe("empty");
    expect(rejected("Exists resource name:foo")).toBe("unknown-verb");
    expect(rejected("change -")).toBe("unknown-object");
  });

  test("a bad integer rejects the whole line", () => {
    expect(rejected("change device name:r volume:x")).toBe("bad-integer");
    expect(rejected("change device name:r minor:1.5")).toBe("bad-integer");
    expect(rejected("change device name:r size:-1")).toBe("bad-integer");
    expect(rejected("change device name:r volume:2147483648")).toBe("bad-integer");
    expect(rejected("change device name:r volume:")).toBe("bad-integer");
    expect(parsed("change device name:r volume:-2147483648")).toMatchObject({ device: { volume: -2147483648 } });
  });

  test("an unknown enum value rejects the whole line", () => {
    expect(rejected("change device name:r disk:uptodate")).toBe("bad-enum");
    expect(rejected("change peer-device name:r replication:Unknown")).toBe("bad-enum");
    expect(rejected("change connection name:r connection:Weird")).toBe("bad-enum");
  });

  test("a line without name is rejected", () => {
    expect(rejected("change resource role:Primary")).toBe("missing-key");
  });

  test("the failure message quotes the bad token", () => {
    const r = parseLine("change device name:r disk:Bogus");
    expect(r).toMatchObject({ kind: "error", message: 'disk: unknown value "Bogus"' });
  });
});

describe("u64 counters", () => {
  test("exact up to 2^53", () => {
    expect(parsed("change device name:r read:9007199254740991")).toMatchObject({ device: { read: 9007199254740991 } });
  });

  test("above 2^53: rounded to the nearest double and reported", () => {
    const e = parsed("change device name:r written:9007199254740993 read:18446744073709551615");
    expect(e).toMatchObject({ device: { written: 9007199254740992, read: 18446744073709551616 } });
    expect(e.roundedKeys).toEqual(["written:9007199254740993", "read:18446744073709551615"]);
  });

  test("leading zeros and plus sign", () => {
    expect(parsed("change device name:r read:+0000000000000000000000042")).toMatchObject({ device: { read: 42 } });
  });

  test("beyond u64 is a bad integer", () => {
    expect(rejected("change device name:r read:18446744073709551616")).toBe("bad-integer");
    expect(rejected("change device name:r read:100000000000000000000")).toBe("bad-integer");
  });
});
