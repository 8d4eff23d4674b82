/**
 * What one node's DRBD reports: the model projected onto one node as the
 * records `drbdsetup` prints (pure).
 *
 * Derived here: connection state (Connected / Connecting / StandAlone), peer
 * role and peer disk (Unknown / DUnknown unless connected), replication state
 * (Off, Established, SyncSource/SyncTarget, Paused…), quorum, paths and their
 * `established` flag, resync progress fields and the peer's UUID-stable flag.
 *
 * @module
 */
import type { ReplicationState } from "../../src/drbd/types.ts";
import { nodeOf, type SimModel, type SimResource, resNodeOf, resourceNodeNames } from "./model.ts";
import type {
  ConnectionView,
  DeviceRec,
  PathRec,
  PeerDeviceRec,
  ResourceRec,
  ResourceView,
} from "./records.ts";
import { hasQuorum } from "./settle.ts";

/** Address of a node in path lines: `ipv4:10.0.0.<id+1>:<port>`. */
export function nodeAddress(nodeId: number, port: number): string {
  return `ipv4:10.0.0.${nodeId + 1}:${port}`;
}

/** Whether `node` is Primary or connected to a Primary (its data may change: not "stable"). */
function unstable(r: SimResource, node: string): boolean {
  const rn = resNodeOf(r, node);
  if (rn.role === "Primary") return true;
  return Object.entries(rn.peers).some(([peer, p]) => p.connected && r.nodes[peer]?.role === "Primary");
}

function replicationState(sourceOrTarget: "source" | "target" | null, paused: boolean, connected: boolean): ReplicationState {
  if (!connected) return "Off";
  if (sourceOrTarget === "source") return paused ? "PausedSyncS" : "SyncSource";
  if (sourceOrTarget === "target") return paused ? "PausedSyncT" : "SyncTarget";
  return "Established";
}

/** One resource as `node` sees it; null when the resource is not in that node's kernel. */
export function resourceViewOf(m: SimModel, r: SimResource, node: string): ResourceView | null {
  const self = nodeOf(m, node);
  const rn = r.nodes[node];
  if (!rn || !rn.up || !self.up) return null;
  const quorum = hasQuorum(m, r, node);

  const resource: ResourceRec = {
    name: r.name,
    nodeId: self.id,
    role: rn.role,
    suspended: { user: rn.suspendedUser, noData: false, fencing: false, quorum: rn.suspendedQuorum },
    forceIoFailures: rn.forceIoFailures,
    writeOrdering: rn.writeOrdering,
  };

  const devices: DeviceRec[] = r.volumes.map((v) => {
    const vol = rn.volumes[v.volume];
    if (!vol) throw new Error(`sim: volume ${v.volume} missing on ${node}`);
    return {
      name: r.name,
      volume: v.volume,
      minor: v.minor,
      disk: vol.disk,
      client: vol.client,
      backingDev: vol.backingDev,
      open: vol.open,
      quorum,
      size: v.sizeKiB,
      read: vol.read,
      written: vol.written,
      alWrites: vol.alWrites,
      bmWrites: vol.bmWrites,
      upperPending: vol.upperPending,
      lowerPending: vol.lowerPending,
      alSuspended: vol.alSuspended,
      blockedUpper: vol.blockedUpper,
      blockedLower: vol.blockedLower,
    };
  });

  const connections: ConnectionView[] = resourceNodeNames(m, r)
    .filter((peer) => peer !== node)
    .map((peer) => {
      const p = rn.peers[peer];
      const prn = r.nodes[peer];
      if (!p || !prn) throw new Error(`sim: peer ${peer} missing on ${node}`);
      const peerId = nodeOf(m, peer).id;
      const connected = p.connected;
      const connection: ConnectionView["connection"] = {
        name: r.name,
        peerNodeId: peerId,
        connName: peer,
        connection: connected ? "Connected" : p.wantConnect ? "Connecting" : "StandAlone",
        role: connected ? prn.role : "Unknown",
        syncState: !p.wantConnect && p.splitBrain ? "SplitBrain" : "",
        congested: p.congested,
        apInFlight: p.apInFlight,
        rsInFlight: p.rsInFlight,
      };
      const stable = !unstable(r, peer);
      const peerDevices: PeerDeviceRec[] = r.volumes.map((v) => {
        const pv = p.volumes[v.volume];
        const theirs = prn.peers[node]?.volumes[v.volume];
        const pvol = prn.volumes[v.volume];
        if (!pv || !pvol) throw new Error(`sim: peer volume ${v.volume} missing on ${node}/${peer}`);
        const paused = pv.pausedUser || (theirs?.pausedUser ?? false);
        return {
          name: r.name,
          peerNodeId: peerId,
          connName: peer,
          volume: v.volume,
          replication: replicationState(pv.resync?.role ?? null, paused, connected),
          peerDisk: connected ? pvol.disk : "DUnknown",
          peerClient: connected ? pvol.client : false,
          resyncSuspended: { user: pv.pausedUser, peer: theirs?.pausedUser ?? false, dependency: false },
          received: pv.received,
          sent: pv.sent,
          outOfSync: pv.outOfSync,
          pending: pv.pending,
          unacked: pv.unacked,
          rsTotalSectors: pv.resync ? pv.resync.totalKiB * 2 : 0,
          rsDb1Sectors: pv.resync ? pv.resync.lastKiB * 2 : 0,
          rsDt1Ms: pv.resync ? m.tickMs : 0,
          stable,
        };
      });
      const path: PathRec = {
        name: r.name,
        peerNodeId: peerId,
        connName: peer,
        local: nodeAddress(self.id, r.port),
        peer: nodeAddress(peerId, r.port),
        established: connected,
      };
      return { connection, peerDevices, paths: [path] };
    });

  return { resource, devices, connections };
}

/** Every resource in `node`'s kernel, sorted by name (empty while the node is down). */
export function viewOf(m: SimModel, node: string): ResourceView[] {
  return m.resources
    .map((r) => resourceViewOf(m, r, node))
    .filter((v): v is ResourceView => v !== null)
    .sort((a, b) => (a.resource.name < b.resource.name ? -1 : a.resource.name > b.resource.name ? 1 : 0));
}
