/**
 * The top-level (global) keys: `snippets`, `statistics-poll-interval`,
 * `snippets-monitoring-interval` and `[[log]]`. Each file's globals are
 * validated on their own; {@link mergeGlobals} then combines the files.
 *
 * @module
 */
import * as v from "valibot";
import { LOG_LEVELS, type LogLevel, type LogSinkConfig } from "../log/logger.ts";
import { checkTable } from "./check-table.ts";
import type { Report } from "./report.ts";
import { arrayOfTables } from "./tables.ts";
import { validate } from "./validate.ts";

/** Top-level keys that are not plugin kinds. */
export const GLOBAL_KEYS = ["snippets", "statistics-poll-interval", "snippets-monitoring-interval", "log"] as const;

/** Default `statistics-poll-interval` in seconds. */
export const DEFAULT_STATISTICS_POLL_INTERVAL = 60;
/** Default `snippets-monitoring-interval` in seconds. */
export const DEFAULT_SNIPPETS_MONITORING_INTERVAL = 120;
/** Smallest active snippets monitoring interval; smaller values are raised to it (as upstream). */
export const MIN_SNIPPETS_MONITORING_INTERVAL = 30;
/**
 * Largest interval in seconds: timers take at most 2^31-1 ms, and a longer
 * delay fires after 1 ms instead, which would turn a "rarely" into a busy loop.
 */
export const MAX_INTERVAL_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

const TOO_LONG = `expected at most ${MAX_INTERVAL_SECONDS} seconds (about 24 days)`;
const POLL = "expected an integer ≥ 1";
const MONITOR = "expected an integer ≥ 0";
const LEVEL = `expected one of ${LOG_LEVELS.map((l) => JSON.stringify(l)).join(", ")}`;
const PATH = "expected a path (a non-empty string)";

/** Schemas of the scalar globals, validated one by one so one bad value does not hide the others. */
const SCALAR_SCHEMAS = {
  snippets: v.pipe(v.string(PATH), v.nonEmpty(PATH)),
  // 0 would make upstream poll drbdsetup in a busy loop; it is refused.
  "statistics-poll-interval": v.pipe(
    v.number(POLL),
    v.integer(POLL),
    v.minValue(1, POLL),
    v.maxValue(MAX_INTERVAL_SECONDS, TOO_LONG),
  ),
  "snippets-monitoring-interval": v.pipe(
    v.number(MONITOR),
    v.integer(MONITOR),
    v.minValue(0, MONITOR),
    v.maxValue(MAX_INTERVAL_SECONDS, TOO_LONG),
  ),
} as const;

/** One `[[log]]` table. Levels are case-insensitive, as upstream's log crate parses them. */
export const logEntrySchema = v.object({
  level: v.optional(
    v.pipe(
      v.string(LEVEL),
      v.check((s) => (LOG_LEVELS as readonly string[]).includes(s.toLowerCase()), LEVEL),
      v.transform((s) => s.toLowerCase() as LogLevel),
    ),
    "info",
  ),
  file: v.optional(v.pipe(v.string(PATH), v.nonEmpty(PATH))),
});

/** The validated globals of one file. `log` is undefined when the file has no `log` key. */
export interface FileGlobals {
  readonly file: string;
  readonly snippets?: string;
  readonly statisticsPollInterval?: number;
  readonly snippetsMonitoringInterval?: number;
  readonly log?: readonly LogSinkConfig[];
}

/** Validate the global keys of one parsed file; problems go to `report`. */
export function validateGlobals(file: string, table: Record<string, unknown>, report: Report): FileGlobals {
  const out: { -readonly [K in keyof FileGlobals]: FileGlobals[K] } = { file };
  const scalar = <K extends keyof typeof SCALAR_SCHEMAS>(key: K) => {
    if (!Object.hasOwn(table, key)) return undefined;
    const checked = validate(SCALAR_SCHEMAS[key] as v.GenericSchema, table[key], file, [key], report);
    return checked.ok ? (checked.value as v.InferOutput<(typeof SCALAR_SCHEMAS)[K]>) : undefined;
  };
  out.snippets = scalar("snippets");
  out.statisticsPollInterval = scalar("statistics-poll-interval");
  out.snippetsMonitoringInterval = scalar("snippets-monitoring-interval");
  if (Object.hasOwn(table, "log")) {
    const sinks: LogSinkConfig[] = [];
    for (const { table: entry, index } of arrayOfTables(file, "log", table.log, report)) {
      const sink = checkTable(logEntrySchema, entry, file, ["log", index], report);
      if (sink.ok) sinks.push(sink.value.file === undefined ? { level: sink.value.level } : sink.value);
    }
    out.log = sinks;
  }
  return out;
}

/** The combined globals of all files. */
export interface MergedGlobals {
  readonly snippets: string | null;
  readonly statisticsPollInterval: number;
  readonly snippetsMonitoringInterval: number;
  readonly log: readonly LogSinkConfig[];
}

type ScalarName = "snippets" | "statisticsPollInterval" | "snippetsMonitoringInterval";
const TOML_NAME: Record<ScalarName, string> = {
  snippets: "snippets",
  statisticsPollInterval: "statistics-poll-interval",
  snippetsMonitoringInterval: "snippets-monitoring-interval",
};

/**
 * Combine the files' globals in load order. A scalar may be set in one file
 * only (which value would win is not obvious to whoever edits the second
 * file); `[[log]]` tables are appended. No `log` key anywhere means one
 * stderr sink at info; an explicit `log = []` means no sinks.
 */
export function mergeGlobals(files: readonly FileGlobals[], report: Report): MergedGlobals {
  const setIn = new Map<ScalarName, FileGlobals>();
  for (const f of files) {
    for (const name of Object.keys(TOML_NAME) as ScalarName[]) {
      if (f[name] === undefined) continue;
      const first = setIn.get(name);
      if (first) report.error(f.file, [TOML_NAME[name]], `already set in ${first.file}; set it in one file only`);
      else setIn.set(name, f);
    }
  }
  const withLog = files.filter((f) => f.log !== undefined);
  const log = withLog.length === 0 ? [{ level: "info" as const }] : withLog.flatMap((f) => f.log!);

  let monitoring = setIn.get("snippetsMonitoringInterval")?.snippetsMonitoringInterval;
  if (monitoring === undefined) monitoring = DEFAULT_SNIPPETS_MONITORING_INTERVAL;
  else if (monitoring > 0 && monitoring < MIN_SNIPPETS_MONITORING_INTERVAL) {
    const where = setIn.get("snippetsMonitoringInterval")!.file;
    report.warn(
      where,
      ["snippets-monitoring-interval"],
      `${monitoring} is below the minimum, using ${MIN_SNIPPETS_MONITORING_INTERVAL}`,
    );
    monitoring = MIN_SNIPPETS_MONITORING_INTERVAL;
  }
  return {
    snippets: setIn.get("snippets")?.snippets ?? null,
    statisticsPollInterval:
      setIn.get("statisticsPollInterval")?.statisticsPollInterval ?? DEFAULT_STATISTICS_POLL_INTERVAL,
    snippetsMonitoringInterval: monitoring,
    log,
  };
}
