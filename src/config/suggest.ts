/**
 * "Did you mean …?" for misspelled config keys.
 *
 * @module
 */

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of
 * two neighbouring characters (optimal string alignment): `idd`→`id` is 1,
 * `debgu`→`debug` is 1.
 */
export function editDistance(a: string, b: string): number {
  // Three rolling rows: the swap rule looks two rows back.
  let twoBack: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, twoBack[j - 2]! + 1);
      row.push(best);
    }
    twoBack = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** Case and `_`/`-` differences are the most common slips; they cost nothing. */
function normalize(key: string): string {
  return key.toLowerCase().replaceAll("_", "-");
}

/**
 * The known key closest to `key`, or undefined when none is close enough to
 * be a plausible typo (short keys tolerate fewer edits, so `x` does not
 * suggest `id`). A key that is the first word of exactly one known key
 * (`disk` for `disk-state`), or extends one (`event-type` where only `event`
 * exists), suggests that key. Ties go to the earlier candidate.
 */
export function suggestKey(key: string, candidates: Iterable<string>): string | undefined {
  const wanted = normalize(key);
  const list = [...candidates];
  // `disk` for `disk-state`, or `event-type` where only `event` exists.
  const related = list.filter((c) => {
    const known = normalize(c);
    return known.startsWith(`${wanted}-`) || wanted.startsWith(`${known}-`);
  });
  if (related.length === 1) return related[0];
  const limit = wanted.length <= 3 ? 1 : wanted.length <= 6 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of list) {
    if (candidate === key) continue;
    const distance = editDistance(wanted, normalize(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
