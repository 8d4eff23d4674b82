/**
 * What `snmpwalk -On` must print for LINBIT-DRBD-MIB, derived from the
 * simulator's own records (not from the plugin's code): one entry per OID,
 * as net-snmp formats it without MIBs (`INTEGER: 1`, `STRING: "r0"`, …).
 *
 * @module
 */
import { DISK_STATES, REPLICATION_STATES } from "../../src/drbd/types.ts";
import { promotionInfo } from "../sim/promotion.ts";
import type { ResourceView } from "../sim/records.ts";

const TABLE = ".1.3.6.1.4.1.23302.1.2.1";
const U32_MAX = 2 ** 32 - 1;

const truth = (b: boolean) => `INTEGER: ${b ? 1 : 2}`;
// net-snmp prints an empty OCTET STRING as just `""`, without the type.
const str = (s: string) => (s === "" ? '""' : `STRING: "${s}"`);

/** snmpwalk's value text for every OID, in no particular order. */
export function expectedWalk(
  views: readonly ResourceView[],
  versions: { kmod: string; utils: string },
): Map<string, string> {
  const out = new Map<string, string>();
  out.set(".1.3.6.1.4.1.23302.1.1.1", str(versions.kmod));
  out.set(".1.3.6.1.4.1.23302.1.1.2", str(versions.utils));
  for (const view of views) {
    const r = view.resource;
    const promo = promotionInfo(view);
    for (const d of view.devices) {
      const cell = (col: number, value: string) => out.set(`${TABLE}.${col}.${d.minor}`, value);
      cell(1, `INTEGER: ${d.minor}`);
      cell(2, str(r.name));
      cell(3, str(r.role));
      cell(4, truth(r.suspended.user || r.suspended.noData || r.suspended.fencing || r.suspended.quorum));
      cell(5, str(r.writeOrdering));
      cell(6, truth(r.forceIoFailures));
      cell(7, truth(promo.mayPromote));
      cell(8, `INTEGER: ${promo.promotionScore}`);
      cell(9, `INTEGER: ${d.volume}`);
      cell(10, str(d.disk));
      cell(11, str(d.backingDev ?? "none"));
      cell(12, truth(d.client));
      cell(13, truth(d.quorum));
      let size = d.size;
      let unit = 1024;
      while (size > U32_MAX) {
        size = Math.floor(size / 1024);
        unit *= 1024;
      }
      cell(14, `Gauge32: ${size}`);
      cell(15, `Gauge32: ${unit}`);
      // The MIB says bytes; events2 counts KiB.
      cell(16, `Counter64: ${BigInt(d.read) * 1024n}`);
      cell(17, `Counter64: ${BigInt(d.written) * 1024n}`);
      cell(18, `Counter64: ${d.alWrites}`);
      cell(19, `Counter64: ${d.bmWrites}`);
      cell(20, `Gauge32: ${Math.min(d.upperPending, U32_MAX)}`);
      cell(21, `Gauge32: ${Math.min(d.lowerPending, U32_MAX)}`);
      cell(22, truth(d.alSuspended));
      cell(23, str([d.blockedUpper && "upper", d.blockedLower && "lower"].filter(Boolean).join(",") || "no"));
      const peers = view.connections.flatMap((c) => c.peerDevices.filter((p) => p.volume === d.volume));
      cell(24, `INTEGER: ${peers.length}`);
      DISK_STATES.forEach((state, i) => cell(25 + i, `INTEGER: ${peers.filter((p) => p.peerDisk === state).length}`));
      REPLICATION_STATES.forEach((state, i) =>
        cell(35 + i, `INTEGER: ${peers.filter((p) => p.replication === state).length}`),
      );
    }
  }
  return out;
}
