/**
 * Check one table from a config file against its schema: unknown keys
 * (warnings, or errors inside strict tables), arrays or dates where tables
 * belong, and everything valibot reports (errors).
 *
 * @module
 */
import type * as v from "valibot";
import { describeValue, type PathSegment } from "./describe.ts";
import type { Report } from "./report.ts";
import { inspectKeys, unknownKeyText } from "./unknown-keys.ts";
import { validate } from "./validate.ts";

/**
 * Validate `table` (at `path` in `file`) with `schema`; problems go to
 * `report`. Returns the validated value (defaults applied) or undefined.
 */
export function checkTable<T>(
  schema: v.GenericSchema<unknown, T>,
  table: unknown,
  file: string,
  path: readonly PathSegment[],
  report: Report,
): { ok: true; value: T } | { ok: false } {
  const findings = inspectKeys(schema, table, path);
  for (const u of findings.unknown) report.warn(file, u.path, unknownKeyText(String(u.path.at(-1)), u.known), true);
  for (const n of findings.notTables) report.error(file, n.path, `expected a table, got ${describeValue(n.value)}`);
  const skip = [...findings.notTables.map((n) => n.path), ...findings.strictUnknown.map((u) => u.path)];
  const checked = validate(schema, table, file, path, report, skip);
  for (const u of findings.strictUnknown) report.error(file, u.path, unknownKeyText(String(u.path.at(-1)), u.known));
  return findings.notTables.length > 0 || findings.strictUnknown.length > 0 ? { ok: false } : checked;
}
