/**
 * `[[kind]]` keys (log and plugin kinds) must be arrays of tables. A single
 * `[debugger]` table is the classic mistake; TOML accepts it, so the loader
 * has to say what to write instead.
 *
 * @module
 */
import { describeValue, isTable } from "./describe.ts";
import type { Report } from "./report.ts";

/**
 * The tables of an array-of-tables key, with their index. Problems (a
 * single table, a scalar, a non-table element) are recorded in `report`;
 * elements that are tables are still returned so their contents get checked.
 */
export function arrayOfTables(
  file: string,
  key: string,
  value: unknown,
  report: Report,
): { table: Record<string, unknown>; index: number }[] {
  if (isTable(value)) {
    report.error(file, [key], `expected an array of tables: write [[${key}]] instead of [${key}]`);
    return [];
  }
  if (!Array.isArray(value)) {
    report.error(file, [key], `expected an array of tables ([[${key}]]), got ${describeValue(value)}`);
    return [];
  }
  const tables: { table: Record<string, unknown>; index: number }[] = [];
  value.forEach((element, index) => {
    if (isTable(element)) tables.push({ table: element, index });
    else report.error(file, [key, index], `expected a table, got ${describeValue(element)}`);
  });
  return tables;
}
