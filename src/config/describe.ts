/**
 * How keys and values are written in config messages: key paths in TOML
 * dotted-key syntax (`debugger[0].id`, `promoter[0].resources."my.res"`) and
 * values the way an admin would have typed them (`"60s"`, `5`, `[1, 2]`).
 *
 * @module
 */

/** One step of a key path: a table key or an array index. */
export type PathSegment = string | number;

/** Longest value rendering in a message; huge tables would bury the point. */
const MAX_VALUE_CHARS = 80;

/** A key that TOML accepts without quotes. */
const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** Render a key as TOML would need it written: bare when possible, quoted otherwise. */
export function formatKey(key: string): string {
  return BARE_KEY.test(key) ? key : JSON.stringify(key);
}

/** Render a key path: `debugger[0].id`. An empty path renders as an empty string. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? formatKey(segment) : `.${formatKey(segment)}`;
  }
  return out;
}

/** True for a TOML table (a plain object; arrays and dates are not tables). */
export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Render a value in TOML-like inline syntax for "got …" in messages,
 * shortened to {@link MAX_VALUE_CHARS} characters. `undefined` (a missing
 * value) renders as `nothing`.
 */
export function describeValue(value: unknown): string {
  const text = render(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function render(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return String(value);
  }
  if (typeof value === "bigint" || typeof value === "boolean") return String(value);
  // smol-toml's TomlDate overrides toISOString to keep the TOML form (local dates, offsets).
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `[${value.map(render).join(", ")}]`;
  if (isTable(value)) {
    const entries = Object.entries(value).map(([k, v]) => `${formatKey(k)} = ${render(v)}`);
    return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
  }
  return String(value);
}
