/**
 * Runs one plugin instance: creates it, delivers updates to it in order,
 * and restarts it with backoff when it throws.
 *
 * Delivery is synchronous while the plugin answers synchronously (the
 * debugger costs one call per update); once `onUpdate` returns a promise,
 * later updates wait in this plugin's own queue, so a slow plugin never holds
 * up the event stream or other plugins. The queue is bounded by backpressure:
 * the reactor stops reading events2 while any queue is above its high-water
 * mark (see {@link PluginHost.overHighWater}).
 *
 * @module
 */
import type { PluginInstance } from "../config/types.ts";
import type { CoreView, Plugin, PluginContext, PluginFactory } from "../../plugins/plugin.ts";
import type { Logger } from "../log/logger.ts";
import type { ReadonlyResourceStore } from "./state.ts";
import type { PluginUpdate } from "./updates.ts";

/** Queue length above which the reactor pauses reading events. */
export const QUEUE_HIGH_WATER = 4096;
/** Queue length below which reading resumes. */
export const QUEUE_LOW_WATER = 1024;
/** First restart delay after a crash; doubles up to {@link MAX_BACKOFF_MS}. */
export const FIRST_BACKOFF_MS = 1000;
/** Longest restart delay. */
export const MAX_BACKOFF_MS = 60_000;
/** Time a plugin may take to stop before it is abandoned. */
export const STOP_GRACE_MS = 1500;

/** Lifecycle of a hosted plugin. */
export type HostState = "starting" | "up" | "down" | "stopped";

/** What a host needs from its surroundings. */
export interface HostEnvironment {
  readonly log: Logger;
  readonly store: ReadonlyResourceStore;
  readonly core: CoreView;
  /** Replays the current state into `deliver` (called right after a successful create). */
  replay(deliver: (u: PluginUpdate) => void): void;
  /** Told whenever a queue drained below the low-water mark. */
  onDrained(): void;
  /** Told whenever `up` changes (metrics). */
  onStateChange?(host: PluginHost): void;
}

/** Hosts one plugin instance. */
export class PluginHost {
  readonly instance: PluginInstance;
  readonly #factory: PluginFactory<unknown>;
  readonly #env: HostEnvironment;
  readonly #log: Logger;
  #plugin: Plugin | null = null;
  #state: HostState = "starting";
  #queue: PluginUpdate[] = [];
  #head = 0;
  #busy = false;
  #backoffMs = FIRST_BACKOFF_MS;
  #restartTimer: ReturnType<typeof setTimeout> | null = null;
  #upSince = 0;
  /** Times this instance was restarted after a failure. */
  restarts = 0;

  constructor(instance: PluginInstance, factory: PluginFactory<unknown>, env: HostEnvironment) {
    this.instance = instance;
    this.#factory = factory;
    this.#env = env;
    this.#log = env.log.child(instance.kind);
  }

  /** Current lifecycle state. */
  get state(): HostState {
    return this.#state;
  }
  /** Whether the plugin runs (for `drbdreactor_plugin_up`). */
  get up(): boolean {
    return this.#state === "up";
  }
  /** Updates waiting for this plugin. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }
  /** True when the reactor should stop reading events until this queue drains. */
  get overHighWater(): boolean {
    return this.queued >= QUEUE_HIGH_WATER;
  }

  /** Human-readable identity for messages: kind, file and position. */
  get label(): string {
    return `${this.instance.kind} plugin from ${this.instance.source} ([[${this.instance.kind}]] #${this.instance.index + 1})`;
  }

  /**
   * Create the plugin and replay the current state to it. A failure is
   * logged and retried with backoff; it never throws.
   */
  async start(): Promise<void> {
    this.#state = "starting";
    const ctx: PluginContext = { log: this.#log, store: this.#env.store, source: this.instance.source, core: this.#env.core };
    let plugin: Plugin;
    try {
      plugin = await this.#factory.create(this.instance.config, ctx);
    } catch (e) {
      if (this.state === "stopped") return;
      this.#fail("could not start", e);
      return;
    }
    if (this.state === "stopped") {
      // Stopped while creating: release what was created.
      await settle(plugin.stop(), STOP_GRACE_MS);
      return;
    }
    this.#plugin = plugin;
    this.#state = "up";
    this.#upSince = performance.now();
    this.#env.onStateChange?.(this);
    if (plugin.onUpdate) this.#env.replay((u) => this.deliver(u));
  }

  /** Hand one update to the plugin (or its queue). Ignored unless the plugin is up. */
  deliver(update: PluginUpdate): void {
    if (this.#state !== "up") return;
    if (this.#busy) {
      this.#queue.push(update);
      return;
    }
    this.#run(update);
  }

  #run(update: PluginUpdate): void {
    const plugin = this.#plugin!;
    let result: void | Promise<void>;
    try {
      result = plugin.onUpdate?.(update);
    } catch (e) {
      this.#fail("failed", e);
      return;
    }
    if (result instanceof Promise) {
      this.#busy = true;
      result.then(
        () => this.#drain(plugin),
        (e) => this.#plugin === plugin && this.#fail("failed", e),
      );
    }
  }

  #drain(plugin: Plugin): void {
    if (this.#plugin !== plugin || this.#state !== "up") return;
    while (this.#head < this.#queue.length) {
      const update = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as PluginUpdate;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      let result: void | Promise<void>;
      try {
        result = plugin.onUpdate?.(update);
      } catch (e) {
        this.#fail("failed", e);
        return;
      }
      if (result instanceof Promise) {
        if (this.queued < QUEUE_LOW_WATER) this.#env.onDrained();
        result.then(
          () => this.#drain(plugin),
          (e) => this.#plugin === plugin && this.#fail("failed", e),
        );
        return;
      }
    }
    this.#queue = [];
    this.#head = 0;
    this.#busy = false;
    this.#env.onDrained();
  }

  #fail(what: string, e: unknown): void {
    const plugin = this.#plugin;
    this.#plugin = null;
    this.#state = "down";
    this.#queue = [];
    this.#head = 0;
    this.#busy = false;
    this.#env.onStateChange?.(this);
    this.#env.onDrained();
    // A plugin that ran well for a while starts over with a short delay.
    if (this.#upSince && performance.now() - this.#upSince > MAX_BACKOFF_MS) this.#backoffMs = FIRST_BACKOFF_MS;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    this.#log.error(`${this.label} ${what}: ${describe(e)}; restarting in ${delay / 1000} s`);
    if (plugin) void settle(plugin.stop(), STOP_GRACE_MS).then((r) => r !== "ok" && this.#log.warn(`${this.label}: stop after failure: ${r}`));
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#state !== "down") return;
      this.restarts++;
      void this.start();
    }, delay);
  }

  /** Stop the plugin (waits at most {@link STOP_GRACE_MS}); queued updates are dropped. */
  async stop(): Promise<void> {
    const plugin = this.#plugin;
    this.#state = "stopped";
    this.#plugin = null;
    this.#queue = [];
    this.#head = 0;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    this.#env.onStateChange?.(this);
    if (!plugin) return;
    const result = await settle(plugin.stop(), STOP_GRACE_MS);
    if (result !== "ok") this.#log.warn(`${this.label}: stop: ${result}`);
  }
}

/** Await `p` for at most `ms`; never throws. */
async function settle(p: Promise<unknown>, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`did not finish within ${ms} ms`), ms);
  });
  try {
    return await Promise.race([p.then(() => "ok", (e) => `failed: ${describe(e)}`), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** An error as one line, with the first stack frame for thrown Errors. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const frame = e.stack?.split("\n").find((l) => l.trimStart().startsWith("at "));
    return frame ? `${e.message} (${frame.trim()})` : e.message;
  }
  return String(e);
}
