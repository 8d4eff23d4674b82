import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import type { Plugin, PluginFactory, PluginKind } from "../../../plugins/plugin.ts";
import type { PluginInstance } from "../../../src/config/types.ts";
import { QUEUE_HIGH_WATER } from "../../../src/core/plugin-host.ts";
import { Reactor } from "../../../src/core/reactor.ts";
import type { PluginUpdate } from "../../../src/core/updates.ts";
import { until } from "../../helpers/until.ts";
import { LogHub, MemorySink } from "../../../src/log/logger.ts";

/** Wait until `cond()` holds, polling; fails after `ms`. */

type Behaviour = {
  onUpdate?: (u: PluginUpdate) => void | Promise<void>;
  create?: () => void;
  stop?: () => Promise<void>;
};

/** A test plugin kind whose instances record what they receive; `config.name` picks a behaviour. */
function fakeKind(kind: PluginKind, behaviours: Record<string, Behaviour>, log: Map<string, string[]>): PluginFactory<{ name: string }> {
  return {
    kind,
    schema: v.object({ name: v.string() }),
    wants: "changes",
    async create(config) {
      behaviours[config.name]?.create?.();
      const seen: string[] = [];
      log.set(config.name, seen);
      const b = behaviours[config.name] ?? {};
      const plugin: Plugin = {
        onUpdate(u) {
          seen.push(`${u.kind}:${"event" in u ? u.event : ""}:${u.resourceName}`);
          return b.onUpdate?.(u);
        },
        stop: b.stop ?? (async () => {}),
      };
      return plugin;
    },
  };
}

function instance(kind: PluginKind, name: string, index = 0): PluginInstance {
  return { kind, config: { name }, source: `/etc/drbd-reactor.d/${name}.toml`, index, identity: JSON.stringify({ kind, name }) };
}

function setup(behaviours: Record<string, Behaviour> = {}) {
  const sink = new MemorySink("trace");
  const hub = new LogHub([sink]);
  const received = new Map<string, string[]>();
  const reactor = new Reactor({
    log: hub.logger("core"),
    factories: new Map([["umh", fakeKind("umh", behaviours, received)]]),
  });
  return { reactor, received, lines: sink.lines };
}

const res = (name: string, role: string) =>
  `change resource name:${name} role:${role} suspended:no force-io-failures:no write-ordering:flush may_promote:no promotion_score:0`;

describe("delivery", () => {
  test("every change plugin gets every update in order", async () => {
    const { reactor, received } = setup();
    await reactor.applyPlugins([instance("umh", "a"), instance("umh", "b", 1)]);
    reactor.feedLine(res("r0", "Secondary"));
    reactor.feedLine(res("r0", "Primary"));
    reactor.feedLine("exists -");
    expect(received.get("a")).toEqual(["resource:Change:r0", "resource:Change:r0"]);
    expect(received.get("b")).toEqual(received.get("a")!);
    expect(reactor.counters).toMatchObject({ lines: 3, updates: 2 });
  });

  test("a slow plugin queues in order and does not hold up a fast one", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { reactor, received } = setup({ slow: { onUpdate: () => gate } });
    await reactor.applyPlugins([instance("umh", "slow"), instance("umh", "fast", 1)]);
    for (let i = 0; i < 5; i++) reactor.feedLine(res(`r${i}`, "Primary"));
    expect(received.get("fast")!.length).toBe(5);
    expect(received.get("slow")).toEqual(["resource:Change:r0"]);
    release();
    await until("condition", () => received.get("slow")!.length === 5);
    expect(received.get("slow")).toEqual(received.get("fast")!);
  });
});

describe("failures", () => {
  test("a plugin that throws is logged with kind and file, restarted after backoff, and gets the state replayed", async () => {
    let calls = 0;
    const { reactor, received, lines } = setup({
      crashy: {
        onUpdate: () => {
          if (++calls === 2) throw new Error("boom");
        },
      },
    });
    await reactor.applyPlugins([instance("umh", "crashy")]);
    reactor.feedLine(res("r0", "Secondary"));
    reactor.feedLine(res("r0", "Primary"));
    expect(lines.some((l) => /^ERROR \[umh\] umh plugin from \/etc\/drbd-reactor.d\/crashy.toml .* failed: boom/.test(l))).toBe(true);
    expect(reactor.hosts()[0]!.up).toBe(false);
    // Updates while down are not delivered; the restart replays the current state instead.
    reactor.feedLine(res("r1", "Secondary"));
    await until("condition", () => reactor.hosts()[0]!.up, 3000);
    expect(reactor.hosts()[0]!.restarts).toBe(1);
    expect(received.get("crashy")).toEqual([
      "resource:Exists:r0",
      "resource:Change:r0",
      "resource:Exists:r1",
      "resource:Change:r1",
    ]);
  });

  test("a failing create is retried; the daemon goes on", async () => {
    let attempts = 0;
    const { reactor, lines } = setup({
      late: {
        create: () => {
          if (++attempts === 1) throw new Error("port in use");
        },
      },
    });
    await reactor.applyPlugins([instance("umh", "late")]);
    expect(lines.some((l) => /could not start: port in use.*; restarting in 1 s$/.test(l))).toBe(true);
    await until("condition", () => reactor.hosts()[0]!.up, 3000);
    expect(attempts).toBe(2);
  });

  test("a rejected promise counts as a crash", async () => {
    const { reactor, lines } = setup({ rejecting: { onUpdate: async () => Promise.reject(new Error("async boom")) } });
    await reactor.applyPlugins([instance("umh", "rejecting")]);
    reactor.feedLine(res("r0", "Primary"));
    await until("condition", () => lines.some((l) => l.includes("failed: async boom")));
    expect(reactor.hosts()[0]!.up).toBe(false);
    await reactor.stopAll();
  });
});

describe("backpressure", () => {
  test("capacity() blocks while a queue is above its high-water mark and frees when it drains", async () => {
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const { reactor } = setup({ stuck: { onUpdate: () => gate } });
    await reactor.applyPlugins([instance("umh", "stuck")]);
    expect(reactor.capacity()).toBeNull();
    for (let i = 0; i <= QUEUE_HIGH_WATER + 1; i++) reactor.feedLine(res("r0", i % 2 ? "Primary" : "Secondary"));
    const wait = reactor.capacity();
    expect(wait).toBeInstanceOf(Promise);
    let freed = false;
    void wait!.then(() => (freed = true));
    await Bun.sleep(20);
    expect(freed).toBe(false);
    const open = Promise.resolve();
    gate = open;
    release();
    await until("condition", () => freed);
    expect(reactor.capacity()).toBeNull();
  });
});

describe("applyPlugins", () => {
  test("unchanged instances keep running without replay; removed stop; new start with replay", async () => {
    let stopped = 0;
    const { reactor, received } = setup({ old: { stop: async () => void stopped++ } });
    await reactor.applyPlugins([instance("umh", "keep"), instance("umh", "old", 1)]);
    reactor.feedLine(res("r0", "Primary"));
    const keepHost = reactor.hosts().find((h) => h.instance.config && (h.instance.config as { name: string }).name === "keep");
    const changes = await reactor.applyPlugins([instance("umh", "keep"), instance("umh", "new", 1)]);
    expect(changes.kept.map((h) => h.instance.identity)).toEqual([instance("umh", "keep").identity]);
    expect(changes.stopped.map((i) => (i.config as { name: string }).name)).toEqual(["old"]);
    expect(changes.started.map((h) => (h.instance.config as { name: string }).name)).toEqual(["new"]);
    expect(stopped).toBe(1);
    expect(reactor.hosts().includes(keepHost!)).toBe(true);
    expect(received.get("keep")).toEqual(["resource:Change:r0"]);
    expect(received.get("new")).toEqual(["resource:Exists:r0", "resource:Change:r0"]);
  });

  test("stopAll does not wait for a plugin that hangs in stop()", async () => {
    const { reactor, lines } = setup({ hang: { stop: () => new Promise(() => {}) } });
    await reactor.applyPlugins([instance("umh", "hang")]);
    const t0 = performance.now();
    await reactor.stopAll();
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(lines.some((l) => l.includes("stop: did not finish within"))).toBe(true);
  });
});

describe("bad lines", () => {
  test("counted by reason and reported at warn once per interval; the stream goes on", async () => {
    const { reactor, lines } = setup();
    reactor.feedLine("change device name:r0 volume:x");
    reactor.feedLine("change device name:r0 volume:y");
    reactor.feedLine("change device name:r0 disk:Nope");
    reactor.feedLine("exists resource name:r0 role:Primary brand-new-key:1");
    expect(reactor.counters.rejected["bad-integer"]).toBe(2);
    expect(reactor.counters.rejected["bad-enum"]).toBe(1);
    expect(reactor.counters.unknownKeys).toBe(1);
    expect(reactor.store.get("r0")?.role).toBe("Primary");
    expect(lines.filter((l) => l.startsWith("WARN [core] rejected events2 line")).length).toBe(2);
    expect(lines.filter((l) => l.startsWith("DEBUG [core] rejected line")).length).toBe(3);
    expect(lines.some((l) => l.includes('unknown key "brand-new-key"'))).toBe(true);
  });
});
