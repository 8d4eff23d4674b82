/**
 * `may_promote` / `promotion_score` exactly as modern drbd-utils computes them
 * in userspace from its copy of a resource (spec core.md §3.7).
 *
 * @module
 */
import type { ResourceView } from "./records.ts";

/** The two derived values printed at the end of every `resource` line. */
export interface PromotionInfo {
  readonly mayPromote: boolean;
  readonly promotionScore: number;
}

const NO: PromotionInfo = { mayPromote: false, promotionScore: 0 };

/**
 * Compute promotion info of one resource view.
 *
 * Rules: no devices, force-io-failures, or any device without quorum → no/0.
 * Per device count UpToDate replicas (local + peers with peer-disk UpToDate);
 * a minimum of 0 → no/0. may_promote = nobody Primary (local or any
 * connection) && every device has a stable UpToDate replica. score =
 * 10000·[all devices UpToDate/Consistent/Inconsistent] +
 * 100·min(#local UpToDate, 99) + min(min replicas, 99).
 */
export function promotionInfo(view: ResourceView): PromotionInfo {
  const { resource, devices, connections } = view;
  // Resources being configured must not briefly look promotable: no devices → no.
  if (devices.length === 0) return NO;
  // A resource still failing I/O after `secondary --force` must not be promoted.
  if (resource.forceIoFailures) return NO;

  let localUpToDate = 0;
  let allHaveDisk = true;
  let minReplicas = Number.POSITIVE_INFINITY;
  let allStable = true;
  for (const device of devices) {
    if (!device.quorum) return NO;
    const peers = connections.flatMap((c) => c.peerDevices.filter((pd) => pd.volume === device.volume));
    const upToDatePeers = peers.filter((pd) => pd.peerDisk === "UpToDate");
    const replicas = (device.disk === "UpToDate" ? 1 : 0) + upToDatePeers.length;
    if (device.disk === "UpToDate") localUpToDate++;
    else if (device.disk !== "Consistent" && device.disk !== "Inconsistent") allHaveDisk = false;
    minReplicas = Math.min(minReplicas, replicas);
    const stable = device.disk === "UpToDate" || upToDatePeers.some((pd) => pd.stable);
    if (!stable) allStable = false;
  }
  if (minReplicas === 0) return NO;

  const anyPrimary = resource.role === "Primary" || connections.some((c) => c.connection.role === "Primary");
  return {
    mayPromote: !anyPrimary && allStable,
    promotionScore: (allHaveDisk ? 10000 : 0) + 100 * Math.min(localUpToDate, 99) + Math.min(minReplicas, 99),
  };
}
