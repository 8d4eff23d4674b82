/**
 * Plugin instance identity: two `[[kind]]` tables that validate to the same
 * config are the same instance (kept running across reloads, and a duplicate
 * when both appear in one config). Key order in the file must not matter, so
 * keys are sorted at every level.
 *
 * @module
 */

/**
 * JSON of `value` with object keys sorted recursively. Dates become their ISO
 * text, bigints their decimal text, `undefined` members are dropped (valibot
 * outputs them for absent optional keys in some schemas; absent and
 * undefined mean the same here).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortKeys(item)));
  if (value instanceof Map) return sortKeys(Object.fromEntries(value));
  if (value instanceof Set) return [...value].map(sortKeys);
  if (typeof value === "object" && value !== null) {
    // Null prototype: a key named "__proto__" stays an ordinary key.
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = sortKeys(member);
    }
    return out;
  }
  return value;
}

/** The identity of a plugin instance: canonical JSON of `{kind, config}`. */
export function pluginIdentity(kind: string, config: unknown): string {
  return canonicalJson({ kind, config });
}
