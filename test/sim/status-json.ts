/**
 * `drbdsetup status` (JSON and plain) and `drbdsetup show --json` output
 * from one node's view (pure). JSON key names and order follow drbd-utils v9
 * (spec core.md §9); whitespace is JSON.stringify's, which every consumer
 * parses the same.
 *
 * @module
 */
import { resyncDone, resyncEta, resyncRate, resyncSuspendedText, suspendedText } from "./events2-format.ts";
import type { SimResource } from "./model.ts";
import type { DeviceRec, PathRec, PeerDeviceRec, ResourceView } from "./records.ts";

const round2 = (x: number): number => Math.round(x * 100) / 100;

function hostJson(address: string): { address: string; port: number; family: string } {
  // `ipv4:10.0.0.1:7000` → family, address, port
  const [family = "", addr = "", port = "0"] = address.split(":");
  return { address: addr, port: Number(port), family };
}

function pathJson(p: PathRec): Record<string, unknown> {
  return { this_host: hostJson(p.local), remote_host: hostJson(p.peer), established: p.established };
}

function peerDeviceJson(pd: PeerDeviceRec, device: DeviceRec | undefined): Record<string, unknown> {
  const size = device?.size ?? 0;
  const details = pd.rsTotalSectors > 0;
  const out: Record<string, unknown> = {
    volume: pd.volume,
    "replication-state": pd.replication,
    "peer-disk-state": pd.peerDisk,
    "peer-client": pd.peerClient,
    "resync-suspended": resyncSuspendedText(pd.resyncSuspended),
    received: pd.received,
    sent: pd.sent,
    "out-of-sync": pd.outOfSync,
    pending: pd.pending,
    unacked: pd.unacked,
    "has-sync-details": details,
    "has-online-verify-details": false,
    "percent-in-sync": size === 0 ? 0 : round2(100 * (1 - pd.outOfSync / size)),
  };
  if (details) {
    const rate = resyncRate(pd) ?? 0;
    const eta = resyncEta(pd);
    Object.assign(out, {
      "rs-total": pd.rsTotalSectors,
      "rs-dt-start-ms": 0,
      "rs-paused-ms": 0,
      "rs-dt0-ms": pd.rsDt1Ms,
      "rs-db0-sectors": pd.rsDb1Sectors,
      "rs-dt1-ms": pd.rsDt1Ms,
      "rs-db1-sectors": pd.rsDb1Sectors,
      "rs-failed": 0,
      "rs-same-csum": 0,
      want: 0,
      "db0/dt0 [MiB/s]": round2(rate),
      "db1/dt1 [MiB/s]": round2(rate),
      "estimated-seconds-to-finish": eta === null || Number.isNaN(eta) ? 987654321 : Math.round(eta),
      "db/dt [MiB/s]": round2(rate),
      "percent-resync-done": round2(resyncDone(pd) ?? 0),
    });
  }
  return out;
}

/** One resource of `drbdsetup status --json`. */
export function statusResourceJson(v: ResourceView): Record<string, unknown> {
  const r = v.resource;
  const s = r.suspended;
  return {
    name: r.name,
    "node-id": r.nodeId,
    role: r.role,
    suspended: s.user || s.noData || s.fencing || s.quorum,
    "suspended-user": s.user,
    "suspended-no-data": s.noData,
    "suspended-fencing": s.fencing,
    "suspended-quorum": s.quorum,
    "force-io-failures": r.forceIoFailures,
    "write-ordering": r.writeOrdering,
    devices: v.devices.map((d) => ({
      volume: d.volume,
      minor: d.minor,
      "disk-state": d.disk,
      client: d.client,
      open: d.open,
      quorum: d.quorum,
      size: d.size,
      read: d.read,
      written: d.written,
      "al-writes": d.alWrites,
      "bm-writes": d.bmWrites,
      "upper-pending": d.upperPending,
      "lower-pending": d.lowerPending,
    })),
    connections: v.connections.map((c) => ({
      "peer-node-id": c.connection.peerNodeId,
      name: c.connection.connName,
      "connection-state": c.connection.connection,
      congested: c.connection.congested,
      "peer-role": c.connection.role,
      tls: false,
      "ap-in-flight": c.connection.apInFlight,
      "rs-in-flight": c.connection.rsInFlight,
      paths: c.paths.map(pathJson),
      peer_devices: c.peerDevices.map((pd) =>
        peerDeviceJson(
          pd,
          v.devices.find((d) => d.volume === pd.volume),
        ),
      ),
    })),
  };
}

/** `drbdsetup status --json` for the given views (already filtered). */
export function statusJson(views: readonly ResourceView[]): string {
  return `${JSON.stringify(views.map(statusResourceJson), null, 2)}\n`;
}

/** Plain `drbdsetup status` (non-verbose shape) for the given views. */
export function statusText(views: readonly ResourceView[]): string {
  const out: string[] = [];
  for (const v of views) {
    const r = v.resource;
    const susp = suspendedText(r.suspended);
    out.push(`${r.name} role:${r.role}${susp === "no" ? "" : ` suspended:${susp}`}`);
    const single = v.devices.length === 1 && v.devices[0]?.volume === 0;
    for (const d of v.devices) {
      const q = d.quorum ? "" : " quorum:no";
      const client = d.disk === "Diskless" ? ` client:${d.client ? "yes" : "no"}` : "";
      out.push(single ? `  disk:${d.disk}${client}${q}` : `  volume:${d.volume} disk:${d.disk}${client}${q}`);
    }
    for (const c of v.connections) {
      const cs = c.connection.connection === "Connected" ? ` role:${c.connection.role}` : ` connection:${c.connection.connection}`;
      out.push(`  ${c.connection.connName}${cs}`);
      if (c.connection.connection !== "Connected") continue;
      for (const pd of c.peerDevices) {
        const repl = pd.replication !== "Established" ? ` replication:${pd.replication}` : "";
        const done = resyncDone(pd);
        const doneText = done === null ? "" : ` done:${done.toFixed(2)}`;
        const vol = single ? "   " : `    volume:${pd.volume}`;
        out.push(`${vol}${repl} peer-disk:${pd.peerDisk}${doneText}`);
      }
    }
    out.push("");
  }
  return out.length === 0 ? "# No currently configured DRBD found.\n" : `${out.join("\n")}\n`;
}

/** One resource of `drbdsetup show --json` (the keys drbd-reactor reads, plus identity). */
export function showResourceJson(r: SimResource, node: string, nodeIds: ReadonlyMap<string, number>): Record<string, unknown> {
  const rn = r.nodes[node];
  const me = nodeIds.get(node) ?? -1;
  return {
    resource: r.name,
    options: {
      "auto-promote": r.options.autoPromote,
      quorum: String(r.options.quorum),
      "on-no-quorum": r.options.onNoQuorum,
      "on-suspended-primary-outdated": r.options.onSuspendedPrimaryOutdated,
      "on-no-data-accessible": r.options.onNoDataAccessible,
    },
    _this_host: {
      "node-id": me,
      volumes: r.volumes.map((v) => ({
        volume_nr: v.volume,
        device_minor: v.minor,
        disk: rn?.volumes[v.volume]?.configuredDisk ?? "none",
      })),
    },
    connections: Object.keys(rn?.peers ?? {})
      .map((peer) => ({ peer, id: nodeIds.get(peer) ?? -1 }))
      .sort((a, b) => a.id - b.id)
      .map(({ peer, id }) => ({
        _peer_node_id: id,
        path: {
          _this_host: `ipv4 10.0.0.${me + 1}:${r.port}`,
          _remote_host: `ipv4 10.0.0.${id + 1}:${r.port}`,
        },
        net: {
          _name: peer,
          "rr-conflict": r.net.rrConflict,
          fencing: r.net.fencing,
          "allow-two-primaries": r.net.allowTwoPrimaries,
        },
      })),
  };
}
