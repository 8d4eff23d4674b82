/**
 * Self-monitoring counters of the core (exported later as
 * `drbdreactor_*` metrics). Plain numbers: incremented on the hot path.
 *
 * @module
 */
import { PARSE_FAILURE_REASONS, type ParseFailureReason } from "./events2.ts";

/** Counters the core keeps about itself. */
export class CoreCounters {
  /** events2 lines read (including rejected ones). */
  lines = 0;
  /** Rejected lines by reason. */
  readonly rejected: Record<ParseFailureReason | "too-long", number> = Object.fromEntries(
    [...PARSE_FAILURE_REASONS, "too-long"].map((r) => [r, 0]),
  ) as Record<ParseFailureReason | "too-long", number>;
  /** Unknown keys seen (each key of each line counts once). */
  unknownKeys = 0;
  /** u64 values above 2^53 that were rounded. */
  roundedValues = 0;
  /** Updates handed to change plugins (per update, not per plugin). */
  updates = 0;
  /** Times drbdsetup events2 was (re)started after the first start. */
  events2Restarts = 0;

  /** Sum of rejected lines over all reasons. */
  get rejectedTotal(): number {
    let n = 0;
    for (const v of Object.values(this.rejected)) n += v;
    return n;
  }
}
