/**
 * Renders the exposition with prom-client from the current state, and keeps
 * the text until the state (or the core's counters) change: a scrape of an
 * unchanged state costs a string copy.
 *
 * @module
 */
import client from "prom-client";
import type { CoreView } from "../plugin.ts";
import type { ReadonlyResourceStore } from "../../src/core/state.ts";
import type { DrbdVersions } from "../../src/drbd/version.ts";
import { type Family, familiesFor, type ScrapeInput } from "./families.ts";

/** The two exposition formats prom-client speaks. */
export const CONTENT_TYPES = {
  text: client.Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: client.Registry.OPENMETRICS_CONTENT_TYPE,
} as const;
/** @see CONTENT_TYPES */
export type ExpositionFormat = keyof typeof CONTENT_TYPES;

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/**
 * A prom-client metric whose values were computed before rendering.
 *
 * OpenMetrics names a counter family without `_total` and appends it to
 * every sample, which prom-client does. So for OpenMetrics a `…_total`
 * counter is handed over without the suffix (samples keep their name), and
 * upstream's two legacy counters without `_total`
 * (`drbd_peerdevice_{sent,received}_bytes`) are typed `unknown` there, the
 * OpenMetrics type that allows any sample name: series names stay exactly
 * upstream's in both formats, and dashboards keep working whichever format
 * Prometheus negotiates.
 */
function asMetric(family: Family, values: Sample[], format: ExpositionFormat): client.Metric {
  let name = family.name;
  let type: string = family.type;
  if (format === "openmetrics" && type === "counter") {
    if (name.endsWith("_total")) name = name.slice(0, -"_total".length);
    else type = "unknown";
  }
  const metric = {
    name,
    help: family.help,
    type,
    aggregator: "sum",
    get: async () => ({ name, help: family.help, type, values, aggregator: "sum" }),
  };
  return metric as unknown as client.Metric;
}

/** One family's samples as `[label values…, value]` repeated: cheap to build and to compare. */
function collectFlat(family: Family, input: ScrapeInput): (string | number)[] {
  const flat: (string | number)[] = [];
  family.collect(input, (labelValues, value) => {
    for (let i = 0; i < labelValues.length; i++) flat.push(labelValues[i]!);
    flat.push(value);
  });
  return flat;
}

function toSamples(family: Family, flat: readonly (string | number)[]): Sample[] {
  const names = family.labels;
  const width = names.length + 1;
  const values: Sample[] = [];
  for (let at = 0; at < flat.length; at += width) {
    const labels: Record<string, string> = {};
    for (let i = 0; i < names.length; i++) labels[names[i]!] = flat[at + i] as string;
    values.push({ labels, value: flat[at + names.length] as number });
  }
  return values;
}

function sameFlat(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** prom-client's one-family renderer (public on Registry, missing from its type declarations). */
type FamilyFormatter = { getMetricsAsString(metric: client.Metric): Promise<string> };

/**
 * Renders the exposition family by family and keeps each family's text: a
 * family whose samples did not change since the last render is not formatted
 * again. A statistics poll re-renders the counter families only; a role
 * change re-renders the few families that carry roles. prom-client formats
 * every family it is given.
 */
export class FamilyRenderer {
  readonly #format: ExpositionFormat;
  readonly #registry: FamilyFormatter;
  #cache = new Map<string, { flat: (string | number)[]; text: string }>();

  constructor(format: ExpositionFormat) {
    this.#format = format;
    const registry = new client.Registry();
    registry.setContentType(CONTENT_TYPES[format] as never);
    this.#registry = registry as unknown as FamilyFormatter;
  }

  /** The whole exposition of `input`. */
  async render(input: ScrapeInput): Promise<string> {
    const parts: string[] = [];
    const next = new Map<string, { flat: (string | number)[]; text: string }>();
    for (const family of familiesFor(input.enums)) {
      const flat = collectFlat(family, input);
      if (flat.length === 0) continue;
      const cached = this.#cache.get(family.name);
      const text =
        cached && sameFlat(cached.flat, flat)
          ? cached.text
          : await this.#registry.getMetricsAsString(asMetric(family, toSamples(family, flat), this.#format));
      next.set(family.name, { flat, text });
      parts.push(text);
    }
    this.#cache = next;
    // Joined as prom-client's Registry.metrics() joins families.
    return this.#format === "openmetrics" ? `${parts.join("\n")}\n# EOF\n` : `${parts.join("\n\n")}\n`;
  }
}

/** Render `input` in `format` with prom-client (no cache). */
export function render(input: ScrapeInput, format: ExpositionFormat): Promise<string> {
  return new FamilyRenderer(format).render(input);
}

/** Options of a {@link CachedExposition}. */
export interface ExpositionSource {
  readonly store: ReadonlyResourceStore;
  readonly core: CoreView;
  readonly versions: DrbdVersions;
  readonly enums: boolean;
}

/**
 * The exposition of the current state, rendered once per change.
 * "Change" is the store's generation plus the core counters and plugin
 * health, so self-monitoring values are never stale either.
 */
export class CachedExposition {
  readonly #source: ExpositionSource;
  readonly #cache = new Map<ExpositionFormat, { key: string; text: Promise<string> }>();
  readonly #renderers = new Map<ExpositionFormat, FamilyRenderer>();

  constructor(source: ExpositionSource) {
    this.#source = source;
  }

  #key(): string {
    const { store, core } = this.#source;
    const c = core.counters;
    const plugins = core.plugins().map((p) => (p.up ? "1" : "0")).join("");
    return `${store.generation}/${c.lines}/${c.rejectedTotal}/${c.events2Restarts}/${plugins}`;
  }

  /** The exposition text in `format`. */
  text(format: ExpositionFormat): Promise<string> {
    const key = this.#key();
    const cached = this.#cache.get(format);
    if (cached && cached.key === key) return cached.text;
    const { store, core, versions, enums } = this.#source;
    const resources = [...store.resources()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let renderer = this.#renderers.get(format);
    if (!renderer) this.#renderers.set(format, (renderer = new FamilyRenderer(format)));
    // Renders of one format are chained: each builds on the previous one's family cache.
    const previous = cached?.text ?? Promise.resolve("");
    const text = previous.catch(() => "").then(() => renderer.render({ resources, versions, core, enums }));
    this.#cache.set(format, { key, text });
    return text;
  }
}
