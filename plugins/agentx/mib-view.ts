/**
 * The MIB as the subagent serves it: {@link buildMib} over the live store,
 * cached with upstream's exact rules (spec monitoring.md §3.5).
 *
 * - Rebuild only when the state changed since the last build AND the last
 *   build is older than `cache-max`. So values may be up to `cache-max` old;
 *   that is upstream's documented trade-off (a walk of 1000 devices costs one
 *   build, not one per request).
 * - GetNext/GetBulk run in "bursts": while GetNexts arrive less than 15 s
 *   apart the MIB is frozen, so a walk (one GetNext per value) sees one
 *   consistent snapshot even past `cache-max`. A response whose varbinds are
 *   all endOfMibView ends the burst (the walk is done).
 * - Get ignores bursts entirely (neither starts nor extends one) and applies
 *   the cache rule alone, as upstream does: a Get in the middle of a walk may
 *   rebuild, and the walk then continues on the new table.
 *
 * The store's `generation` stands in for upstream's dirty flag (set on every
 * event), and the first request always builds.
 *
 * @module
 */
import type { ReadonlyResourceStore } from "../../src/core/state.ts";
import type { DrbdVersions } from "../../src/drbd/version.ts";
import { buildMib, type MibTable } from "./mib.ts";
import { type SearchRange, ValueType, type VarBind } from "./protocol/types.ts";

/** A walk is over when no GetNext came for this long (upstream's constant). */
export const BURST_MAX_MS = 15_000;

/**
 * Most varbinds one GetBulk answers. max-repetitions is a u16 and a PDU can
 * carry many ranges, so without a cap one request could make us build
 * millions of varbinds. Fewer repetitions than asked is a normal GetBulk
 * answer (SNMP cuts them short by message size anyway); 65535 bounds the
 * work and the response (a few MiB) without cutting any realistic request.
 * Only whole rounds are returned.
 */
export const MAX_BULK_VARBINDS = 65_535;

/** Options of {@link MibView}. */
export interface MibViewOptions {
  readonly store: ReadonlyResourceStore;
  readonly versions: DrbdVersions;
  /** Serve columns 24–49 (config `peer-states`). */
  readonly peerStates: boolean;
  /** Config `cache-max`, in milliseconds. */
  readonly cacheMaxMs: number;
  /** Monotonic milliseconds; injectable for tests. */
  readonly now?: () => number;
  /** Receives {@link buildMib}'s reports (values it had to leave out). */
  readonly onError?: (message: string) => void;
}

/** LINBIT-DRBD-MIB over the store, with the cache and burst rules of the module doc. */
export class MibView {
  readonly #store: ReadonlyResourceStore;
  readonly #versions: DrbdVersions;
  readonly #peerStates: boolean;
  readonly #cacheMaxMs: number;
  readonly #now: () => number;
  readonly #onError: (message: string) => void;

  #mib: MibTable | null = null;
  #builtGeneration = 0;
  #cacheLast: number;
  #burstLast: number;

  constructor(options: MibViewOptions) {
    this.#store = options.store;
    this.#versions = options.versions;
    this.#peerStates = options.peerStates;
    this.#cacheMaxMs = options.cacheMaxMs;
    this.#now = options.now ?? (() => performance.now());
    this.#onError = options.onError ?? (() => {});
    // Both timers start expired, as upstream's do.
    const start = this.#now();
    this.#cacheLast = start - this.#cacheMaxMs - 1000;
    this.#burstLast = start - BURST_MAX_MS - 1000;
  }

  /** Rebuild when (first use) or (dirty and the cache expired). */
  #refresh(now: number): MibTable {
    const dirty = this.#store.generation !== this.#builtGeneration;
    if (this.#mib === null || (dirty && now - this.#cacheLast > this.#cacheMaxMs)) {
      this.#builtGeneration = this.#store.generation;
      this.#mib = buildMib(this.#store.resources(), this.#versions, { peerStates: this.#peerStates }, this.#onError);
      this.#cacheLast = now;
    }
    return this.#mib;
  }

  /** Burst bookkeeping shared by GetNext and GetBulk: returns the table to answer from. */
  #beginNext(now: number): MibTable {
    const mib = this.#mib === null || now - this.#burstLast > BURST_MAX_MS ? this.#refresh(now) : this.#mib;
    this.#burstLast = now;
    return mib;
  }

  /** A response made only of endOfMibView ends the walk, so the next GetNext may rebuild. */
  #endNext(now: number, varbinds: readonly VarBind[]): void {
    if (varbinds.every((vb) => vb.value.type === ValueType.EndOfMibView)) this.#burstLast = now - BURST_MAX_MS - 1000;
  }

  /** Get: one varbind per range, named by its start (see {@link MibTable.get}). */
  get(ranges: readonly SearchRange[]): VarBind[] {
    const mib = this.#refresh(this.#now());
    return ranges.map((r) => ({ name: r.start, value: mib.get(r.start) }));
  }

  /** GetNext: one varbind per range (see {@link MibTable.next}). */
  getNext(ranges: readonly SearchRange[]): VarBind[] {
    const now = this.#now();
    const mib = this.#beginNext(now);
    const varbinds = ranges.map((r) => mib.next(r.start, r.include, r.end));
    this.#endNext(now, varbinds);
    return varbinds;
  }

  /**
   * GetBulk (RFC 2741 §7.2.3.3): one GetNext for each of the first
   * `nonRepeaters` ranges, then up to `maxRepetitions` rounds over the other
   * ranges, each round continuing after the name the previous round returned
   * (the range's own include flag applies to the first round only). A
   * repeater that reached endOfMibView repeats it under the same name; the
   * rounds stop after one in which every repeater is at endOfMibView, and at
   * {@link MAX_BULK_VARBINDS}. Counts as a GetNext for the burst timer.
   */
  getBulk(nonRepeaters: number, maxRepetitions: number, ranges: readonly SearchRange[]): VarBind[] {
    const now = this.#now();
    const mib = this.#beginNext(now);
    const n = Math.min(Math.max(nonRepeaters, 0), ranges.length);
    const varbinds: VarBind[] = [];
    for (let i = 0; i < n; i++) {
      const r = ranges[i]!;
      varbinds.push(mib.next(r.start, r.include, r.end));
    }
    const repeaters = ranges.slice(n);
    if (repeaters.length > 0) {
      const rounds = Math.min(Math.max(maxRepetitions, 0), Math.floor((MAX_BULK_VARBINDS - n) / repeaters.length));
      // Each repeater's latest varbind: the next round continues after its name.
      const last: (VarBind | null)[] = repeaters.map(() => null);
      for (let round = 0; round < rounds; round++) {
        let allEnded = true;
        for (let j = 0; j < repeaters.length; j++) {
          const r = repeaters[j]!;
          const prev = last[j]!;
          let vb: VarBind;
          if (prev === null) vb = mib.next(r.start, r.include, r.end);
          else if (prev.value.type === ValueType.EndOfMibView) vb = prev;
          else vb = mib.next(prev.name, false, r.end);
          if (vb.value.type !== ValueType.EndOfMibView) allEnded = false;
          last[j] = vb;
          varbinds.push(vb);
        }
        if (allEnded) break;
      }
    }
    this.#endNext(now, varbinds);
    return varbinds;
  }
}
