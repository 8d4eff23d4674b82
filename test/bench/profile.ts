/**
 * Summarises a `.cpuprofile` (Chrome DevTools format, as `bun --cpu-prof`
 * writes it): self and inclusive time per function, heaviest first.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One function's share of the profile. */
export interface ProfileEntry {
  readonly fn: string;
  readonly ms: number;
  readonly percent: number;
}

/** What {@link summarizeProfile} returns. */
export interface ProfileSummary {
  /** Length of the summarised window, ms. */
  readonly windowMs: number;
  /** Sampled time in the window without `(idle)`, ms. */
  readonly busyMs: number;
  readonly self: readonly ProfileEntry[];
  readonly inclusive: readonly ProfileEntry[];
}

const IDLE = new Set(["(idle)", "(root)"]);

/**
 * Self and inclusive time of the `top` heaviest functions of the profile at
 * `path`. With `windowFn`, only the samples from the first to the last one
 * with that function on the stack count (e.g. the read loop: the burst,
 * without startup and shutdown).
 */
export function summarizeProfile(path: string, root: string, top = 25, windowFn?: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const label = (node: ProfileNode): string => {
    const f = node.callFrame;
    const name = f.functionName || "(anonymous)";
    if (!f.url) return name;
    const url = f.url.startsWith("file://") ? f.url.slice("file://".length) : f.url;
    const file = url.startsWith("/") ? relative(root, url) : url;
    return `${name} ${file}:${f.lineNumber + 1}`;
  };

  let first = 0;
  let last = profile.samples.length - 1;
  if (windowFn !== undefined) {
    const onStack = (id: number): boolean => {
      for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
        if (byId.get(n)?.callFrame.functionName === windowFn) return true;
      }
      return false;
    };
    first = profile.samples.findIndex(onStack);
    last = profile.samples.findLastIndex(onStack);
    if (first < 0) throw new Error(`${windowFn} never appears in ${path}`);
  }
  let windowUs = 0;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyUs = 0;
  for (let i = first; i <= last; i++) {
    const node = byId.get(profile.samples[i]!);
    // Chrome format: timeDeltas[i] is the gap before sample i; attribute the next gap to it.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    windowUs += dt;
    if (!node || IDLE.has(node.callFrame.functionName)) continue;
    busyUs += dt;
    const key = label(node);
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      if (IDLE.has(n.callFrame.functionName)) continue;
      const k = label(n);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  const rank = (m: Map<string, number>): ProfileEntry[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: Math.round(us / 100) / 10, percent: Math.round((1000 * us) / busyUs) / 10 }));
  return { windowMs: Math.round(windowUs / 1000), busyMs: Math.round(busyUs / 1000), self: rank(self), inclusive: rank(inclusive) };
}
