/**
 * One running `drbdsetup events2`: its command line and the copy of every
 * object it has printed so far, which is what it diffs against (like
 * drbd-utils' userspace copy).
 *
 * Three inputs drive it:
 * - {@link Events2Stream.dump}: the initial `exists` dump and `exists -`;
 * - {@link Events2Stream.onEvent}: a state change in the kernel. Like a
 *   kernel notification, it only refreshes objects whose *state* changed
 *   (with their current statistics); objects whose statistics alone moved
 *   keep their old copy, so they are not printed;
 * - {@link Events2Stream.onPoll}: an `n` on stdin re-reads everything, so
 *   statistics changes since the previous read are printed too.
 *
 * New resources print as the kernel creates them (resource, devices, then
 * per connection the connection, its peer devices and paths); removed ones
 * print child destroys before `destroy resource`.
 *
 * @module
 */
import { type Events2FormatOptions, formatChanges, resourceDestroyLine } from "./events2-format.ts";
import { formatTimestamp } from "./printf.ts";
import type {
  ConnectionRec,
  ConnectionView,
  DeviceRec,
  PeerDeviceRec,
  ResourceRec,
  ResourceView,
} from "./records.ts";

/** Parsed `drbdsetup events2` command line. */
export interface Events2Args extends Events2FormatOptions {
  readonly timestamps: boolean;
  /** `--now`: dump and exit. */
  readonly now: boolean;
  /** `--poll`: read `n` from stdin. */
  readonly poll: boolean;
  /** Resource name, or null for all. */
  readonly resource: string | null;
}

/** Parse the arguments after `events2`; a string is a usage error message. */
export function parseEvents2Args(args: readonly string[]): Events2Args | string {
  let full = false;
  let statistics = false;
  let timestamps = false;
  let now = false;
  let poll = false;
  let resource: string | null = null;
  for (const a of args) {
    if (a === "--full" || a === "-f") full = true;
    else if (a === "--statistics" || a === "-s") statistics = true;
    else if (a === "--timestamps" || a === "-T") timestamps = true;
    else if (a === "--now" || a === "-n") now = true;
    else if (a === "--poll" || a === "-p") poll = true;
    else if (a === "--color" || a.startsWith("--color=")) continue;
    else if (a.startsWith("-")) return `drbdsetup events2: unrecognized option '${a}'`;
    else if (resource === null) resource = a === "all" ? null : a;
    else return `drbdsetup events2: too many arguments ('${a}')`;
  }
  return { full, statistics: statistics || full, timestamps, now, poll, resource };
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function resourceStateDiffers(a: ResourceRec, b: ResourceRec): boolean {
  return a.role !== b.role || a.forceIoFailures !== b.forceIoFailures || !sameJson(a.suspended, b.suspended);
}

function deviceStateDiffers(a: DeviceRec, b: DeviceRec): boolean {
  return (
    a.disk !== b.disk ||
    a.client !== b.client ||
    a.backingDev !== b.backingDev ||
    a.quorum !== b.quorum ||
    a.open !== b.open ||
    a.minor !== b.minor
  );
}

function connectionStateDiffers(a: ConnectionRec, b: ConnectionRec): boolean {
  return a.connection !== b.connection || a.role !== b.role || a.syncState !== b.syncState || a.connName !== b.connName;
}

function peerDeviceStateDiffers(a: PeerDeviceRec, b: PeerDeviceRec): boolean {
  return (
    a.replication !== b.replication ||
    a.peerDisk !== b.peerDisk ||
    a.peerClient !== b.peerClient ||
    !sameJson(a.resyncSuspended, b.resyncSuspended)
  );
}

/**
 * What drbdsetup's copy looks like after a kernel state-change notification:
 * objects whose state changed (or that are new) come from `cur`, the others
 * keep the copy from `old` (stale statistics included); objects gone from
 * `cur` are gone.
 */
export function mergeStateChanges(old: ResourceView, cur: ResourceView): ResourceView {
  return {
    resource: resourceStateDiffers(old.resource, cur.resource) ? cur.resource : old.resource,
    devices: cur.devices.map((d) => {
      const od = old.devices.find((x) => x.volume === d.volume);
      return od && !deviceStateDiffers(od, d) ? od : d;
    }),
    connections: cur.connections.map((c): ConnectionView => {
      const oc = old.connections.find((x) => x.connection.peerNodeId === c.connection.peerNodeId);
      if (!oc) return c;
      return {
        connection: connectionStateDiffers(oc.connection, c.connection) ? c.connection : oc.connection,
        peerDevices: c.peerDevices.map((pd) => {
          const opd = oc.peerDevices.find((x) => x.volume === pd.volume);
          return opd && !peerDeviceStateDiffers(opd, pd) ? opd : pd;
        }),
        paths: c.paths.map((p) => {
          const op = oc.paths.find((x) => x.local === p.local && x.peer === p.peer);
          return op && op.established === p.established ? op : p;
        }),
      };
    }),
  };
}

/**
 * The successive states a new resource goes through as the kernel creates
 * it: the bare resource, then its devices, then one connection (with its
 * peer devices and paths) at a time.
 */
export function creationSteps(view: ResourceView): ResourceView[] {
  const steps: ResourceView[] = [{ resource: view.resource, devices: [], connections: [] }];
  if (view.devices.length > 0) steps.push({ resource: view.resource, devices: view.devices, connections: [] });
  for (let i = 1; i <= view.connections.length; i++) {
    steps.push({ resource: view.resource, devices: view.devices, connections: view.connections.slice(0, i) });
  }
  return steps;
}

/**
 * The successive states of a resource being torn down: per connection its
 * paths, its peer devices, the connection; then the devices. (The final
 * `destroy resource` line is separate.)
 */
export function destructionSteps(view: ResourceView): ResourceView[] {
  const steps: ResourceView[] = [];
  let connections = [...view.connections];
  while (connections.length > 0) {
    const [first, ...rest] = connections as [ConnectionView, ...ConnectionView[]];
    const base = { resource: view.resource, devices: view.devices };
    if (first.paths.length > 0) steps.push({ ...base, connections: [{ ...first, paths: [] }, ...rest] });
    if (first.peerDevices.length > 0) {
      steps.push({ ...base, connections: [{ ...first, paths: [], peerDevices: [] }, ...rest] });
    }
    steps.push({ ...base, connections: rest });
    connections = rest;
  }
  if (view.devices.length > 0) steps.push({ resource: view.resource, devices: [], connections: [] });
  return steps;
}

/** A running `drbdsetup events2` (without the process around it). */
export class Events2Stream {
  private readonly copy = new Map<string, ResourceView>();

  /**
   * @param args parsed command line
   * @param clock time source for `--timestamps`
   */
  constructor(
    readonly args: Events2Args,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private wanted(views: readonly ResourceView[]): Map<string, ResourceView> {
    const out = new Map<string, ResourceView>();
    for (const v of views) {
      if (this.args.resource === null || v.resource.name === this.args.resource) out.set(v.resource.name, v);
    }
    return out;
  }

  private stamp(lines: string[]): string[] {
    if (!this.args.timestamps || lines.length === 0) return lines;
    const prefix = formatTimestamp(this.clock());
    return lines.map((l) => prefix + l);
  }

  /** The initial dump: every object as `exists`, then `exists -`. */
  dump(views: readonly ResourceView[]): string[] {
    const lines: string[] = [];
    for (const [name, v] of [...this.wanted(views)].sort(([a], [b]) => (a < b ? -1 : 1))) {
      lines.push(...formatChanges(null, v, "exists", this.args));
      this.copy.set(name, v);
    }
    lines.push("exists -");
    return this.stamp(lines);
  }

  private update(views: readonly ResourceView[], refresh: (old: ResourceView, cur: ResourceView) => ResourceView): string[] {
    const cur = this.wanted(views);
    const names = [...new Set([...this.copy.keys(), ...cur.keys()])].sort();
    const lines: string[] = [];
    for (const name of names) {
      const old = this.copy.get(name);
      const now = cur.get(name);
      if (old && !now) {
        let prev = old;
        for (const step of destructionSteps(old)) {
          lines.push(...formatChanges(prev, step, "create", this.args));
          prev = step;
        }
        lines.push(resourceDestroyLine(name));
        this.copy.delete(name);
      } else if (!old && now) {
        let prev: ResourceView | null = null;
        for (const step of creationSteps(now)) {
          lines.push(...formatChanges(prev, step, "create", this.args));
          prev = step;
        }
        this.copy.set(name, now);
      } else if (old && now) {
        const next = refresh(old, now);
        lines.push(...formatChanges(old, next, "create", this.args));
        this.copy.set(name, next);
      }
    }
    return this.stamp(lines);
  }

  /** A kernel state change happened: print the objects whose state changed. */
  onEvent(views: readonly ResourceView[]): string[] {
    return this.update(views, mergeStateChanges);
  }

  /** An `n` poll: re-read everything, statistics included. */
  onPoll(views: readonly ResourceView[]): string[] {
    return this.update(views, (_old, cur) => cur);
  }
}
