/** Events2Stream: what one drbdsetup prints for kernel events and polls (no processes). */
import { describe, expect, test } from "bun:test";
import { Events2Stream, parseEvents2Args, type Events2Args } from "../../sim/events2-session.ts";
import { emptyModel, type SimModel } from "../../sim/model.ts";
import * as ops from "../../sim/ops.ts";
import { writeBurst } from "../../sim/tick.ts";
import { viewOf } from "../../sim/view.ts";

const last = (steps: ops.Steps): SimModel => steps.at(-1) as SimModel;

function args(extra: string[] = []): Events2Args {
  const a = parseEvents2Args(["--full", "--poll", ...extra]);
  if (typeof a === "string") throw new Error(a);
  return a;
}

function twoNodes(): SimModel {
  return last(ops.addResource(emptyModel({ nodes: ["a", "b"] }), { name: "r0", volumes: [{ minor: 7 }] }));
}

describe("Events2Stream", () => {
  test("argument parsing", () => {
    expect(parseEvents2Args(["--now", "r0"])).toMatchObject({ now: true, resource: "r0", full: false });
    expect(parseEvents2Args(["--full", "all"])).toMatchObject({ full: true, statistics: true, resource: null });
    expect(parseEvents2Args(["--bogus"])).toBe("drbdsetup events2: unrecognized option '--bogus'");
  });

  test("statistics-only changes wait for a poll; state changes print at once with current statistics", () => {
    const three = last(ops.addResource(emptyModel({ nodes: ["a", "b", "c"] }), { name: "r0", volumes: [{ minor: 7 }] }));
    let m = done(ops.promote(three, "a", "r0"));
    const s = new Events2Stream(args());
    s.dump(viewOf(m, "a"));
    m = writeBurst(m, "a", "r0", 10);
    expect(s.onEvent(viewOf(m, "a"))).toEqual([]);
    expect(s.onPoll(viewOf(m, "a"))).toEqual([
      "change device name:r0 volume:0 minor:7 backing_dev:/dev/drbdpool/r0_0 disk:UpToDate client:no open:no quorum:yes size:1048576 read:0 written:10 al-writes:1 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no",
      "change peer-device name:r0 peer-node-id:1 conn-name:b volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no received:0 sent:10 out-of-sync:0 pending:0 unacked:0",
      "change peer-device name:r0 peer-node-id:2 conn-name:c volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no received:0 sent:10 out-of-sync:0 pending:0 unacked:0",
    ]);
    expect(s.onPoll(viewOf(m, "a"))).toEqual([]);
    // More writes, then c crashes: c's peer device changed state and is printed with its
    // current statistics; the device and b's peer device only moved statistics and stay quiet.
    m = writeBurst(m, "a", "r0", 5);
    m = last(ops.crash(m, "c"));
    expect(s.onEvent(viewOf(m, "a"))).toEqual([
      "change resource name:r0 role:Primary suspended:no force-io-failures:no write-ordering:flush may_promote:no promotion_score:10102",
      "change connection name:r0 peer-node-id:2 conn-name:c connection:Connecting role:Unknown congested:no ap-in-flight:0 rs-in-flight:0",
      "change peer-device name:r0 peer-node-id:2 conn-name:c volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no received:0 sent:15 out-of-sync:0 pending:0 unacked:0",
      "change path name:r0 peer-node-id:2 conn-name:c local:ipv4:10.0.0.1:7000 peer:ipv4:10.0.0.3:7000 established:no",
    ]);
    expect(s.onPoll(viewOf(m, "a"))).toEqual([
      "change device name:r0 volume:0 minor:7 backing_dev:/dev/drbdpool/r0_0 disk:UpToDate client:no open:no quorum:yes size:1048576 read:0 written:15 al-writes:2 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no",
      "change peer-device name:r0 peer-node-id:1 conn-name:b volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no received:0 sent:15 out-of-sync:0 pending:0 unacked:0",
    ]);
  });

  test("a new resource prints in creation order; a removed one destroys children first", () => {
    const m0 = emptyModel({ nodes: ["a", "b"] });
    const s = new Events2Stream(args());
    expect(s.dump(viewOf(m0, "a"))).toEqual(["exists -"]);
    const steps = ops.addResource(m0, { name: "r1", volumes: [{ minor: 9 }], port: 7100 });
    expect(s.onEvent(viewOf(steps[0] as SimModel, "a"))).toEqual([
      "create resource name:r1 role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:no promotion_score:0",
      "create device name:r1 volume:0 minor:9 backing_dev:/dev/drbdpool/r1_0 disk:UpToDate client:no open:no quorum:no size:1048576 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no",
      "create connection name:r1 peer-node-id:1 conn-name:b connection:Connecting role:Unknown congested:no ap-in-flight:0 rs-in-flight:0",
      "create peer-device name:r1 peer-node-id:1 conn-name:b volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no received:0 sent:0 out-of-sync:0 pending:0 unacked:0",
      "create path name:r1 peer-node-id:1 conn-name:b local:ipv4:10.0.0.1:7100 peer:ipv4:10.0.0.2:7100 established:no",
    ]);
    const connected = steps[1] as SimModel;
    expect(s.onEvent(viewOf(connected, "a"))).toEqual([
      "change resource name:r1 role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:yes promotion_score:10102",
      "change connection name:r1 peer-node-id:1 conn-name:b connection:Connected role:Secondary congested:no ap-in-flight:0 rs-in-flight:0",
      "change device name:r1 volume:0 minor:9 backing_dev:/dev/drbdpool/r1_0 disk:UpToDate client:no open:no quorum:yes size:1048576 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no",
      "change peer-device name:r1 peer-node-id:1 conn-name:b volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no received:0 sent:0 out-of-sync:0 pending:0 unacked:0",
      "change path name:r1 peer-node-id:1 conn-name:b local:ipv4:10.0.0.1:7100 peer:ipv4:10.0.0.2:7100 established:yes",
    ]);
    const removed = last(ops.removeResource(connected, "r1"));
    expect(s.onEvent(viewOf(removed, "a"))).toEqual([
      "destroy path name:r1 peer-node-id:1 conn-name:b local:ipv4:10.0.0.1:7100 peer:ipv4:10.0.0.2:7100",
      // Without the peer device the replica count drops: drbdsetup re-announces promotion info.
      "change resource name:r1 role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:yes promotion_score:10101",
      "destroy peer-device name:r1 peer-node-id:1 conn-name:b volume:0",
      "destroy connection name:r1 peer-node-id:1 conn-name:b",
      "change resource name:r1 role:Secondary suspended:no force-io-failures:no write-ordering:flush may_promote:no promotion_score:0",
      "destroy device name:r1 volume:0",
      "destroy resource name:r1",
    ]);
  });

  test("resource filter and --timestamps", () => {
    const m = last(ops.addResource(twoNodes(), { name: "r9", volumes: [{ minor: 8 }] }));
    const s = new Events2Stream(args(["--timestamps", "r9"]), () => new Date(2025, 0, 2, 3, 4, 5, 6));
    const lines = s.dump(viewOf(m, "a"));
    expect(lines.every((l) => /^2025-01-02T03:04:05\.006000[+-]\d\d:\d\d /.test(l))).toBe(true);
    expect(lines.map((l) => l.split(" ").slice(1, 3).join(" "))).toEqual([
      "exists resource",
      "exists connection",
      "exists device",
      "exists peer-device",
      "exists path",
      "exists -",
    ]);
    expect(lines.every((l) => !l.includes("name:r0"))).toBe(true);
  });
});

function done(r: ops.OpResult): SimModel {
  return last(r.steps);
}
