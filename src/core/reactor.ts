/**
 * The core: turns events2 lines into state and updates, and runs the
 * plugins.
 *
 * Everything here is synchronous per line: parse, apply to the store,
 * deliver to each change plugin's host. Backpressure replaces unbounded
 * queues: when a plugin falls behind, {@link Reactor.capacity} tells the
 * event source to stop reading until it caught up (drbdsetup then blocks on
 * its pipe; nothing is dropped).
 *
 * @module
 */
import type { CoreView, PluginFactory, PluginKind, PluginStatus } from "../../plugins/plugin.ts";
import type { PluginInstance } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { CoreCounters } from "./counters.ts";
import { parseLine, type ParseFailureReason } from "./events2.ts";
import { PluginHost, QUEUE_LOW_WATER } from "./plugin-host.ts";
import { replayAll } from "./replay.ts";
import { ResourceStore } from "./state.ts";
import type { PluginUpdate } from "./updates.ts";

/** How often a rejected-line reason is reported at warn level (the rest go to debug). */
const REJECT_WARN_INTERVAL_MS = 60_000;

/** What changed when a plugin set was applied. */
export interface PluginChanges {
  readonly started: readonly PluginHost[];
  readonly stopped: readonly PluginInstance[];
  readonly kept: readonly PluginHost[];
}

/** Options of a {@link Reactor}. */
export interface ReactorOptions {
  /** Logger of the core; plugins get children named after their kind. */
  readonly log: Logger;
  readonly factories: ReadonlyMap<PluginKind, PluginFactory<any>>;
  /** Called when an initial dump ended (`exists -`), with the number of resources. */
  readonly onDumpComplete?: (resources: number) => void;
}

/** Parses lines, keeps state, hosts plugins. */
export class Reactor {
  readonly store = new ResourceStore();
  readonly counters = new CoreCounters();
  readonly #log: Logger;
  readonly #factories: ReadonlyMap<PluginKind, PluginFactory<any>>;
  readonly #onDumpComplete: ((resources: number) => void) | undefined;
  #hosts = new Map<string, PluginHost>();
  #changeHosts: PluginHost[] = [];
  #drainWaiters: (() => void)[] = [];
  #lastRejectWarn = new Map<ParseFailureReason | "too-long", { at: number; suppressed: number }>();
  #reportedUnknown = new Set<string>();
  #reportedRounded = new Set<string>();
  /** Read-only view handed to plugins (self-monitoring metrics). */
  readonly core: CoreView = {
    counters: this.counters,
    plugins: (): PluginStatus[] =>
      [...this.#hosts.values()].map((h) => ({ kind: h.instance.kind, source: h.instance.source, up: h.up })),
  };

  constructor(opts: ReactorOptions) {
    this.#log = opts.log;
    this.#factories = opts.factories;
    this.#onDumpComplete = opts.onDumpComplete;
  }

  /** Parse one line (without newline), apply it and deliver the resulting updates. */
  feedLine(line: string): void {
    this.counters.lines++;
    const event = parseLine(line);
    if (event.kind === "error") {
      this.#reject(event.reason, event.message, line);
      return;
    }
    if (event.unknownKeys) this.#noteUnknown(line, event.unknownKeys);
    if (event.roundedKeys) this.#noteRounded(event.roundedKeys);
    this.store.apply(event, this.#dispatch);
    if (event.kind === "end-of-dump") this.#onDumpComplete?.(this.store.size);
  }

  /** Count a line that was never parsed (longer than the reader accepts). */
  rejectTooLong(length: number): void {
    this.counters.lines++;
    this.#reject("too-long", `line of ${length} bytes exceeds the limit`, "");
  }

  readonly #dispatch = (update: PluginUpdate): void => {
    this.counters.updates++;
    const hosts = this.#changeHosts;
    for (let i = 0; i < hosts.length; i++) hosts[i]!.deliver(update);
  };

  #reject(reason: ParseFailureReason | "too-long", message: string, line: string): void {
    this.counters.rejected[reason]++;
    const excerpt = JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line);
    if (this.#log.enabled("debug")) this.#log.debug(`rejected line ${excerpt}: ${message}`);
    const now = performance.now();
    const last = this.#lastRejectWarn.get(reason);
    if (last && now - last.at < REJECT_WARN_INTERVAL_MS) {
      last.suppressed++;
      return;
    }
    const more = last?.suppressed ? ` (${last.suppressed} more rejected for this reason since the last report)` : "";
    this.#log.warn(`rejected events2 line ${excerpt}: ${message}${more}`);
    this.#lastRejectWarn.set(reason, { at: now, suppressed: 0 });
  }

  #noteUnknown(line: string, keys: readonly string[]): void {
    this.counters.unknownKeys += keys.length;
    for (const key of keys) {
      if (this.#reportedUnknown.has(key) || this.#reportedUnknown.size > 1000) continue;
      this.#reportedUnknown.add(key);
      const object = line.trim().split(/\s+/, 2).join(" ");
      this.#log.debug(`${object}: unknown key "${key}" ignored (line kept; reported once per key)`);
    }
  }

  #noteRounded(keys: readonly string[]): void {
    this.counters.roundedValues += keys.length;
    for (const kv of keys) {
      const key = kv.slice(0, kv.indexOf(":"));
      if (this.#reportedRounded.has(key)) continue;
      this.#reportedRounded.add(key);
      this.#log.warn(`${kv} exceeds 2^53 and is kept rounded to ${Number(kv.slice(key.length + 1))} (reported once per key)`);
    }
  }

  /**
   * `null` while every plugin keeps up; otherwise a promise that resolves
   * once all queues are below their low-water mark. The event source awaits it
   * between reads.
   */
  capacity(): Promise<void> | null {
    if (!this.#changeHosts.some((h) => h.overHighWater)) return null;
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  readonly #onDrained = (): void => {
    if (this.#drainWaiters.length === 0 || this.#changeHosts.some((h) => h.queued >= QUEUE_LOW_WATER)) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  };

  /** The running plugin hosts. */
  hosts(): PluginHost[] {
    return [...this.#hosts.values()];
  }

  /**
   * Make the running plugins match `instances`: unchanged instances keep
   * running (no replay), removed or changed ones stop, new ones start and get
   * the current state replayed. Call it while no lines are being fed.
   */
  async applyPlugins(instances: readonly PluginInstance[]): Promise<PluginChanges> {
    const wanted = new Map(instances.map((i) => [i.identity, i]));
    const kept: PluginHost[] = [];
    const stopping: PluginHost[] = [];
    for (const [identity, host] of this.#hosts) {
      if (wanted.has(identity)) kept.push(host);
      else stopping.push(host);
    }
    for (const host of stopping) this.#hosts.delete(host.instance.identity);
    this.#rebuildDispatch();
    await Promise.all(stopping.map((h) => h.stop()));

    const started: PluginHost[] = [];
    for (const [identity, instance] of wanted) {
      if (this.#hosts.has(identity)) continue;
      const factory = this.#factories.get(instance.kind);
      if (!factory) continue;
      const host = new PluginHost(instance, factory as PluginFactory<unknown>, {
        log: this.#log.child("core"),
        store: this.store,
        core: this.core,
        replay: (deliver) => replayAll(this.store.resources(), deliver),
        onDrained: this.#onDrained,
      });
      this.#hosts.set(identity, host);
      started.push(host);
    }
    this.#rebuildDispatch();
    await Promise.all(started.map((h) => h.start()));
    return { started, stopped: stopping.map((h) => h.instance), kept };
  }

  /** Stop every plugin (each gets its grace period, in parallel). */
  async stopAll(): Promise<void> {
    const hosts = [...this.#hosts.values()];
    this.#hosts.clear();
    this.#rebuildDispatch();
    await Promise.all(hosts.map((h) => h.stop()));
    this.#onDrained();
  }

  #rebuildDispatch(): void {
    this.#changeHosts = [...this.#hosts.values()].filter((h) => this.#factories.get(h.instance.kind)?.wants === "changes");
  }
}
