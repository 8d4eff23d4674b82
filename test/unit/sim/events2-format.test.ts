/**
 * The formatter must reproduce drbd-utils' own test captures (spec core.md
 * §8.1) byte for byte when fed the same object states batch by batch.
 */
import { describe, expect, test } from "bun:test";
import {
  type Events2FormatOptions,
  FULL,
  formatChanges,
  resourceDestroyLine,
} from "../../sim/events2-format.ts";
import { formatFixed, formatTimestamp } from "../../sim/printf.ts";
import {
  type ConnectionView,
  type DeviceRec,
  NOT_SUSPENDED,
  type PathRec,
  type PeerDeviceRec,
  RESYNC_NOT_SUSPENDED,
  type ResourceRec,
  type ResourceView,
} from "../../sim/records.ts";

const NAME = "some-resource";

const resource: ResourceRec = {
  name: NAME,
  nodeId: 0,
  role: "Secondary",
  suspended: NOT_SUSPENDED,
  forceIoFailures: false,
  writeOrdering: "none",
};

const device: DeviceRec = {
  name: NAME,
  volume: 0,
  minor: 1000,
  disk: "Diskless",
  client: false,
  backingDev: null,
  open: false,
  quorum: true,
  size: 5,
  read: 10,
  written: 15,
  alWrites: 40,
  bmWrites: 50,
  upperPending: 60,
  lowerPending: 70,
  alSuspended: false,
  blockedUpper: false,
  blockedLower: false,
};

const connection: ConnectionView["connection"] = {
  name: NAME,
  peerNodeId: 1,
  connName: "some-peer",
  connection: "StandAlone",
  role: "Unknown",
  syncState: "",
  congested: false,
  apInFlight: 10,
  rsInFlight: 20,
};

const peerDevice: PeerDeviceRec = {
  name: NAME,
  peerNodeId: 1,
  connName: "some-peer",
  volume: 0,
  replication: "Off",
  peerDisk: "DUnknown",
  peerClient: false,
  resyncSuspended: RESYNC_NOT_SUSPENDED,
  received: 5,
  sent: 10,
  outOfSync: 0,
  pending: 30,
  unacked: 40,
  rsTotalSectors: 0,
  rsDb1Sectors: 0,
  rsDt1Ms: 0,
  stable: true,
};

const path: PathRec = {
  name: NAME,
  peerNodeId: 1,
  connName: "some-peer",
  local: "ipv4:1.2.3.4:7789",
  peer: "ipv4:5.6.7.8:7790",
  established: false,
};

/** Feed successive states through the formatter, one batch each, like drbdsetup. */
function run(states: ResourceView[], o: Events2FormatOptions = FULL): string[] {
  const lines: string[] = ["exists -"];
  let prev: ResourceView | null = null;
  for (const s of states) {
    lines.push(...formatChanges(prev, s, "create", o));
    prev = s;
  }
  return lines;
}

/** The object states behind drbd-utils' events2-all-create-change test, batch by batch. */
function createChangeStates(): ResourceView[] {
  const conn = (c: Partial<ConnectionView>): ConnectionView => ({
    connection,
    peerDevices: [],
    paths: [],
    ...c,
  });
  const s1: ResourceView = { resource, devices: [], connections: [] };
  const s2: ResourceView = { ...s1, devices: [device] };
  const s3: ResourceView = { ...s2, connections: [conn({})] };
  const s4: ResourceView = { ...s3, connections: [conn({ peerDevices: [peerDevice] })] };
  const s5: ResourceView = { ...s4, connections: [conn({ peerDevices: [peerDevice], paths: [path] })] };
  const s6: ResourceView = { ...s5, devices: [{ ...device, disk: "UpToDate", backingDev: "/dev/sda" }] };
  const s7: ResourceView = {
    ...s6,
    connections: [conn({ peerDevices: [peerDevice], paths: [{ ...path, established: true }] })],
  };
  const connected = { ...connection, connection: "Connected" as const, role: "Secondary" as const };
  const s8: ResourceView = {
    ...s7,
    connections: [conn({ connection: connected, peerDevices: [peerDevice], paths: [{ ...path, established: true }] })],
  };
  const s9: ResourceView = {
    ...s8,
    connections: [
      conn({
        connection: connected,
        peerDevices: [{ ...peerDevice, replication: "Established", peerDisk: "UpToDate" }],
        paths: [{ ...path, established: true }],
      }),
    ],
  };
  const s10: ResourceView = { ...s9, resource: { ...resource, role: "Primary" } };
  return [s1, s2, s3, s4, s5, s6, s7, s8, s9, s10];
}

describe("events2 formatter vs drbd-utils captures (core.md §8.1)", () => {
  test("events2-all-create-change, --full", () => {
    expect(run(createChangeStates())).toEqual([
      "exists -",
      "create resource name:some-resource role:Secondary suspended:no force-io-failures:no write-ordering:none may_promote:no promotion_score:0",
      "create device name:some-resource volume:0 minor:1000 backing_dev:none disk:Diskless client:no open:no quorum:yes size:5 read:10 written:15 al-writes:40 bm-writes:50 upper-pending:60 lower-pending:70 al-suspended:no blocked:no",
      "create connection name:some-resource peer-node-id:1 conn-name:some-peer connection:StandAlone role:Unknown congested:no ap-in-flight:10 rs-in-flight:20",
      "create peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no received:5 sent:10 out-of-sync:0 pending:30 unacked:40",
      "create path name:some-resource peer-node-id:1 conn-name:some-peer local:ipv4:1.2.3.4:7789 peer:ipv4:5.6.7.8:7790 established:no",
      "change resource name:some-resource role:Secondary suspended:no force-io-failures:no write-ordering:none may_promote:yes promotion_score:10101",
      "change device name:some-resource volume:0 minor:1000 backing_dev:/dev/sda disk:UpToDate client:no open:no quorum:yes size:5 read:10 written:15 al-writes:40 bm-writes:50 upper-pending:60 lower-pending:70 al-suspended:no",
      "change path name:some-resource peer-node-id:1 conn-name:some-peer local:ipv4:1.2.3.4:7789 peer:ipv4:5.6.7.8:7790 established:yes",
      "change connection name:some-resource peer-node-id:1 conn-name:some-peer connection:Connected role:Secondary congested:no ap-in-flight:10 rs-in-flight:20",
      "change resource name:some-resource role:Secondary suspended:no force-io-failures:no write-ordering:none may_promote:yes promotion_score:10102",
      "change peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no received:5 sent:10 out-of-sync:0 pending:30 unacked:40",
      "change resource name:some-resource role:Primary suspended:no force-io-failures:no write-ordering:none may_promote:no promotion_score:10102",
    ]);
  });

  test("events2-all-create-change, --statistics (partial change lines)", () => {
    const lines = run(createChangeStates(), { full: false, statistics: true });
    expect(lines.slice(6)).toEqual([
      "change resource name:some-resource may_promote:yes promotion_score:10101",
      "change device name:some-resource volume:0 minor:1000 backing_dev:/dev/sda disk:UpToDate client:no open:no quorum:yes",
      "change path name:some-resource peer-node-id:1 conn-name:some-peer local:ipv4:1.2.3.4:7789 peer:ipv4:5.6.7.8:7790 established:yes",
      "change connection name:some-resource peer-node-id:1 conn-name:some-peer connection:Connected role:Secondary",
      "change resource name:some-resource may_promote:yes promotion_score:10102",
      "change peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0 replication:Established peer-disk:UpToDate peer-client:no",
      "change resource name:some-resource role:Primary may_promote:no promotion_score:10102",
    ]);
  });

  test("events2-all-create-change, no options (partial lines, no statistics)", () => {
    expect(run(createChangeStates(), { full: false, statistics: false })).toEqual([
      "exists -",
      "create resource name:some-resource role:Secondary suspended:no force-io-failures:no may_promote:no promotion_score:0",
      "create device name:some-resource volume:0 minor:1000 backing_dev:none disk:Diskless client:no open:no quorum:yes",
      "create connection name:some-resource peer-node-id:1 conn-name:some-peer connection:StandAlone role:Unknown",
      "create peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no",
      "create path name:some-resource peer-node-id:1 conn-name:some-peer local:ipv4:1.2.3.4:7789 peer:ipv4:5.6.7.8:7790 established:no",
      "change resource name:some-resource may_promote:yes promotion_score:10101",
      "change device name:some-resource volume:0 minor:1000 backing_dev:/dev/sda disk:UpToDate client:no open:no quorum:yes",
      "change path name:some-resource peer-node-id:1 conn-name:some-peer local:ipv4:1.2.3.4:7789 peer:ipv4:5.6.7.8:7790 established:yes",
      "change connection name:some-resource peer-node-id:1 conn-name:some-peer connection:Connected role:Secondary",
      "change resource name:some-resource may_promote:yes promotion_score:10102",
      "change peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0 replication:Established peer-disk:UpToDate peer-client:no",
      "change resource name:some-resource role:Primary may_promote:no promotion_score:10102",
    ]);
  });

  test("events2-all-create-destroy: identity keys only, children first", () => {
    const states = createChangeStates();
    const full = states[4] as ResourceView;
    const c = full.connections[0] as ConnectionView;
    const noPath: ResourceView = { ...full, connections: [{ ...c, paths: [] }] };
    const noPd: ResourceView = { ...full, connections: [{ ...c, paths: [], peerDevices: [] }] };
    const noConn: ResourceView = { ...full, connections: [] };
    const empty: ResourceView = { ...noConn, devices: [] };
    const lines = [
      ...formatChanges(full, noPath, "create"),
      ...formatChanges(noPath, noPd, "create"),
      ...formatChanges(noPd, noConn, "create"),
      ...formatChanges(noConn, empty, "create"),
      resourceDestroyLine(NAME),
    ];
    expect(lines).toEqual([
      "destroy path name:some-resource peer-node-id:1 conn-name:some-peer local:ipv4:1.2.3.4:7789 peer:ipv4:5.6.7.8:7790",
      "destroy peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0",
      "destroy connection name:some-resource peer-node-id:1 conn-name:some-peer",
      "destroy device name:some-resource volume:0",
      "destroy resource name:some-resource",
    ]);
  });

  test("events2-sync, --statistics: done/dbdt1/eta where drbd-utils prints them", () => {
    const states = createChangeStates();
    const before = states[7] as ResourceView; // connected, peer-device still Off/DUnknown
    const c = before.connections[0] as ConnectionView;
    const syncing: ResourceView = {
      ...before,
      connections: [
        {
          ...c,
          peerDevices: [
            {
              ...peerDevice,
              replication: "SyncSource",
              peerDisk: "Inconsistent",
              outOfSync: 2500,
              rsTotalSectors: 8000,
              rsDb1Sectors: 1,
              rsDt1Ms: 2,
            },
          ],
        },
      ],
    };
    const lines = formatChanges(before, syncing, "create", { full: false, statistics: true });
    expect(lines).toContain(
      "change peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0 replication:SyncSource peer-disk:Inconsistent peer-client:no done:37.50 received:5 sent:10 out-of-sync:2500 pending:30 unacked:40 dbdt1:0.24 eta:10",
    );
    // Without --statistics only `done:` comes from the statistics.
    expect(formatChanges(before, syncing, "create", { full: false, statistics: false })).toContain(
      "change peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0 replication:SyncSource peer-disk:Inconsistent peer-client:no done:37.50",
    );
    // The same batch with --full carries every key; the progress keys keep their places.
    expect(formatChanges(before, syncing, "create", FULL)).toContain(
      "change peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0 replication:SyncSource peer-disk:Inconsistent peer-client:no resync-suspended:no done:37.50 received:5 sent:10 out-of-sync:2500 pending:30 unacked:40 dbdt1:0.24 eta:10",
    );
  });

  test("initial dump order: resource, connections, devices, then per connection peer devices and paths", () => {
    const s = createChangeStates()[4] as ResourceView;
    const objects = formatChanges(null, s, "exists").map((l) => l.split(" ").slice(0, 2).join(" "));
    expect(objects).toEqual([
      "exists resource",
      "exists connection",
      "exists device",
      "exists peer-device",
      "exists path",
    ]);
  });

  test("nothing changed prints nothing; statistics-only changes print with --full", () => {
    const s = createChangeStates()[9] as ResourceView;
    expect(formatChanges(s, s, "create")).toEqual([]);
    const more: ResourceView = { ...s, devices: [{ ...(s.devices[0] as DeviceRec), written: 99 }] };
    expect(formatChanges(s, more, "create")).toEqual([
      "change device name:some-resource volume:0 minor:1000 backing_dev:/dev/sda disk:UpToDate client:no open:no quorum:yes size:5 read:10 written:99 al-writes:40 bm-writes:50 upper-pending:60 lower-pending:70 al-suspended:no",
    ]);
  });

  test("blocked, suspended reasons and sync-state", () => {
    const s = createChangeStates()[9] as ResourceView;
    const blocked: ResourceView = {
      ...s,
      resource: { ...s.resource, suspended: { ...NOT_SUSPENDED, user: true, quorum: true } },
      devices: [{ ...(s.devices[0] as DeviceRec), blockedUpper: true, blockedLower: true }],
    };
    const lines = formatChanges(s, blocked, "create");
    expect(lines[0]).toBe(
      "change resource name:some-resource role:Primary suspended:user,quorum force-io-failures:no write-ordering:none may_promote:no promotion_score:10102",
    );
    expect(lines[1]).toEndWith(" al-suspended:no blocked:upper,lower");
    const c = s.connections[0] as ConnectionView;
    const sb: ResourceView = {
      ...s,
      connections: [{ ...c, connection: { ...c.connection, connection: "StandAlone", role: "Unknown", syncState: "SplitBrain" } }],
    };
    expect(formatChanges(s, sb, "create")).toContain(
      "change connection name:some-resource peer-node-id:1 conn-name:some-peer connection:StandAlone role:Unknown sync-state:SplitBrain congested:no ap-in-flight:10 rs-in-flight:20",
    );
  });
});

describe("printf helpers", () => {
  test("%.2f / %.0f like glibc", () => {
    expect(formatFixed(37.5, 2)).toBe("37.50");
    expect(formatFixed(0.244140625, 2)).toBe("0.24");
    expect(formatFixed(0.125, 2)).toBe("0.12"); // exact tie: half to even
    expect(formatFixed(0.375, 2)).toBe("0.38");
    expect(formatFixed(2.5, 0)).toBe("2");
    expect(formatFixed(10.17, 0)).toBe("10");
    expect(formatFixed(Number.NaN, 0)).toBe("nan");
  });

  test("--timestamps prefix shape", () => {
    const ts = formatTimestamp(new Date(2024, 4, 1, 12, 34, 56, 789));
    expect(ts).toMatch(/^2024-05-01T12:34:56\.789000[+-]\d\d:\d\d $/);
  });
});
