/**
 * The daemon's lifecycle: load the config, start plugins, follow events2,
 * react to signals, stop cleanly.
 *
 * Ordering guarantees:
 * - A reload runs between two reads of drbdsetup's output: the event source
 *   awaits the reload before it applies more lines, so every plugin sees a
 *   consistent stream (new plugins get the replay, then live updates).
 * - Reloads and config dumps are serialized; a second SIGHUP during a reload
 *   runs after it.
 * - SIGTERM/SIGINT: stop reading, end drbdsetup, stop plugins in parallel
 *   (each with a grace period) and exit 0 within 2 s whatever the backlog.
 *
 * @module
 */
import { isatty } from "node:tty";
import { PLUGIN_FACTORIES } from "../../plugins/registry.ts";
import { dumpPluginConfigs, loadConfig } from "../config/index.ts";
import { ConfigError, type DaemonConfig } from "../config/types.ts";
import { Events2Source } from "../core/event-source.ts";
import { describe } from "../core/plugin-host.ts";
import { Reactor } from "../core/reactor.ts";
import { FdSink, isJournalStream, LogHub, type Logger, openSinks } from "../log/logger.ts";
import { monotonicUsec, Notifier } from "../systemd/notify.ts";
import { VERSION } from "../version.ts";
import { DAEMON_USAGE, parseDaemonArgs } from "./cli.ts";
import { SnippetMonitor } from "./snippet-monitor.ts";

/** Longest time from SIGTERM to exit. */
const SHUTDOWN_DEADLINE_MS = 2000;

/** Run the daemon; resolves with the process exit code. */
export async function runDaemon(args: readonly string[]): Promise<number> {
  const parsed = parseDaemonArgs(args);
  switch (parsed.action) {
    case "help":
      process.stdout.write(DAEMON_USAGE);
      return 0;
    case "version":
      process.stdout.write(`drbd-reactor ${VERSION}\n`);
      return 0;
    case "error":
      process.stderr.write(`drbd-reactor: ${parsed.message}\n`);
      return 2;
  }
  if (!parsed.allowTty && (isatty(0) || isatty(1) || isatty(2))) {
    process.stderr.write(
      "drbd-reactor: refusing to start in a terminal without --allow-tty. Did you mean drbd-reactorctl?\n",
    );
    return 1;
  }

  const hub = new LogHub([new FdSink("info", 2, { priorityPrefix: isJournalStream(process.env, 2) })]);
  const log = hub.logger("core");
  let loaded;
  try {
    loaded = await loadConfig(parsed.config, PLUGIN_FACTORIES);
    hub.setSinks(openSinks(loaded.config.log));
  } catch (e) {
    process.stderr.write(`Error: ${e instanceof ConfigError ? e.message : describe(e)}\n`);
    return 1;
  }
  for (const warning of loaded.warnings) log.warn(warning);
  const daemon = new Daemon(hub, log, loaded.config);
  return daemon.run();
}

class Daemon {
  readonly #hub: LogHub;
  readonly #log: Logger;
  #config: DaemonConfig;
  readonly #notifier = new Notifier();
  readonly #reactor: Reactor;
  readonly #source: Events2Source;
  #monitor: SnippetMonitor;
  /** Set while a reload runs: the event source waits for it before applying more lines. */
  #gate: Promise<void> | null = null;
  /** Serializes reloads and dumps. */
  #control: Promise<void> = Promise.resolve();
  #exit: (code: number) => void = () => {};
  #stopping = false;

  constructor(hub: LogHub, log: Logger, config: DaemonConfig) {
    this.#hub = hub;
    this.#log = log;
    this.#config = config;
    this.#reactor = new Reactor({
      log: hub.logger("core"),
      factories: PLUGIN_FACTORIES,
      onDumpComplete: (n) => {
        this.#log.info(`initial state complete: ${n} resource(s)`);
        this.#notify(`STATUS=Following DRBD events: ${n} resource(s), ${this.#reactor.hosts().length} plugin(s)`);
      },
    });
    const reactor = this.#reactor;
    this.#source = new Events2Source({
      log: hub.logger("events2"),
      pollIntervalSeconds: config.statisticsPollInterval,
      sink: {
        started: (respawn) => {
          if (!respawn) return;
          reactor.counters.events2Restarts++;
          reactor.store.beginReconcile();
          this.#log.info("drbdsetup events2 restarted: reconciling its initial state with the known state");
        },
        line: (text) => reactor.feedLine(text),
        tooLong: (length) => reactor.rejectTooLong(length),
        capacity: () => this.#gate ?? reactor.capacity(),
      },
    });
    this.#monitor = new SnippetMonitor(config.snippets, config.snippetsMonitoringInterval, Date.now(), log);
  }

  async run(): Promise<number> {
    const done = new Promise<number>((resolve) => {
      this.#exit = resolve;
    });
    this.#log.info(`drbd-reactor ${VERSION} starting with ${this.#config.file}`);
    this.#installSignals();
    await this.#startPlugins();
    this.#source.start();
    return done;
  }

  async #startPlugins(): Promise<void> {
    const instances = this.#config.plugins;
    if (instances.length > 0) this.#notify("STATUS=Starting new plugins");
    const changes = await this.#reactor.applyPlugins(instances);
    for (const host of changes.started) this.#log.info(`started ${host.label}`);
    if (instances.length === 0) this.#log.warn("no plugins configured: only following events");
    this.#notify(`STATUS=Plugins started (${this.#reactor.hosts().length})\nREADY=1`);
  }

  #installSignals(): void {
    process.on("SIGHUP", () => this.#serialized(() => this.#reload()));
    process.on("SIGUSR1", () => this.#serialized(async () => this.#dumpConfig()));
    process.on("SIGTERM", () => void this.#shutdown("SIGTERM"));
    process.on("SIGINT", () => void this.#shutdown("SIGINT"));
  }

  #serialized(task: () => Promise<void>): void {
    this.#control = this.#control.then(task).catch((e) => this.#log.error(`internal error: ${describe(e)}`));
  }

  async #reload(): Promise<void> {
    if (this.#stopping) return;
    let release!: () => void;
    this.#gate = new Promise((resolve) => (release = resolve));
    this.#notify(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}\nSTATUS=Reloading configuration`);
    try {
      this.#log.info(`reloading ${this.#config.file}`);
      let loaded;
      try {
        loaded = await loadConfig(this.#config.file, PLUGIN_FACTORIES);
      } catch (e) {
        this.#log.error(`reload failed, keeping the running configuration:\n${e instanceof Error ? e.message : e}`);
        this.#notify("STATUS=Reload failed; running the previous configuration\nREADY=1");
        return;
      }
      for (const warning of loaded.warnings) this.#log.warn(warning);
      const next = loaded.config;
      this.#warnNotReloadable(next);
      const changes = await this.#reactor.applyPlugins(next.plugins);
      this.#config = { ...next, statisticsPollInterval: this.#config.statisticsPollInterval, log: this.#config.log };
      this.#monitor.stop();
      this.#monitor = new SnippetMonitor(next.snippets, next.snippetsMonitoringInterval, Date.now(), this.#log);
      for (const i of changes.stopped) this.#log.info(`stopped ${i.kind} plugin from ${i.source}`);
      for (const h of changes.started) this.#log.info(`started ${h.label}`);
      this.#log.info(
        `reload done: ${changes.kept.length} plugin(s) kept, ${changes.started.length} started, ${changes.stopped.length} stopped`,
      );
      this.#notify(`STATUS=Reloaded: ${this.#reactor.hosts().length} plugin(s)\nREADY=1`);
    } finally {
      this.#gate = null;
      release();
    }
  }

  #warnNotReloadable(next: DaemonConfig): void {
    if (next.statisticsPollInterval !== this.#config.statisticsPollInterval) {
      this.#log.warn(
        `statistics-poll-interval changed to ${next.statisticsPollInterval}; it takes effect after a restart (still ${this.#config.statisticsPollInterval})`,
      );
    }
    if (JSON.stringify(next.log) !== JSON.stringify(this.#config.log)) {
      this.#log.warn("[[log]] changed; log settings take effect after a restart");
    }
  }

  #dumpConfig(): void {
    const instances = this.#reactor.hosts().map((h) => h.instance);
    if (instances.length === 0) {
      this.#log.info("plugin config: no plugins running");
      return;
    }
    this.#log.info(`plugin config:\n${dumpPluginConfigs(instances)}`);
  }

  async #shutdown(signal: string): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#log.info(`${signal} received: stopping`);
    this.#notify("STOPPING=1\nSTATUS=Stopping");
    // Whatever hangs, the process ends before the deadline.
    const deadline = setTimeout(() => {
      this.#log.warn(`stop did not finish within ${SHUTDOWN_DEADLINE_MS} ms; exiting anyway`);
      this.#finish(0);
    }, SHUTDOWN_DEADLINE_MS - 100);
    this.#monitor.stop();
    await Promise.all([this.#source.stop(), this.#reactor.stopAll()]);
    clearTimeout(deadline);
    this.#log.info("stopped");
    this.#finish(0);
  }

  #finish(code: number): void {
    this.#hub.close();
    this.#exit(code);
  }

  #notify(state: string): void {
    try {
      this.#notifier.send(state);
    } catch (e) {
      this.#log.error(`sd_notify failed: ${describe(e)}`);
    }
  }
}
