/**
 * Build a resource store from events2 lines, as the daemon would, for tests
 * and benchmarks that need state without running the daemon.
 *
 * @module
 */
import { parseLine } from "../../src/core/events2.ts";
import { ResourceStore } from "../../src/core/state.ts";

/** Apply `lines` to `store` in order; a line the parser rejects throws, naming the line. */
export function feedLines(store: ResourceStore, lines: Iterable<string>): ResourceStore {
  for (const line of lines) {
    const e = parseLine(line);
    if (e.kind === "error") throw new Error(`events2 line rejected (${e.message}): ${line.slice(0, 200)}`);
    store.apply(e, () => {});
  }
  return store;
}

/** A new store holding the state `lines` describe. */
export function storeFromLines(lines: Iterable<string>): ResourceStore {
  return feedLines(new ResourceStore(), lines);
}
