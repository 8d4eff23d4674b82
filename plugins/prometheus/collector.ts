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

/** Compute every family's samples; families without samples are left out (as upstream does). */
export function collect(input: ScrapeInput): { family: Family; values: Sample[] }[] {
  const out: { family: Family; values: Sample[] }[] = [];
  for (const family of familiesFor(input.enums)) {
    const values: Sample[] = [];
    const names = family.labels;
    family.collect(input, (labelValues, value) => {
      const labels: Record<string, string> = {};
      for (let i = 0; i < names.length; i++) labels[names[i]!] = labelValues[i]!;
      values.push({ labels, value });
    });
    if (values.length > 0) out.push({ family, values });
  }
  return out;
}

/** Render `input` in `format` with prom-client. */
export async function render(input: ScrapeInput, format: ExpositionFormat): Promise<string> {
  const registry = new client.Registry();
  registry.setContentType(CONTENT_TYPES[format] as never);
  for (const { family, values } of collect(input)) registry.registerMetric(asMetric(family, values, format));
  return registry.metrics();
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
    const text = render({ resources, versions, core, enums }, format);
    this.#cache.set(format, { key, text });
    return text;
  }
}
