/**
 * The physical reference for the benchmark: read stdin the way the daemon's
 * event source does (async chunks, streaming UTF-8 decode, split at `\n`,
 * one substring per line) and do nothing else. Prints
 * `{"lines":N,"firstChunkMs":…,"endMs":…}` (ms since this process started).
 *
 * Usage: `… | bun test/bench/line-reader.ts`
 *
 * @module
 */
const decoder = new TextDecoder();
let pending = "";
let lines = 0;
let chars = 0;
let firstChunkMs = -1;
for await (const chunk of Bun.stdin.stream()) {
  if (firstChunkMs < 0) firstChunkMs = performance.now();
  const text = pending + decoder.decode(chunk, { stream: true });
  let start = 0;
  for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
    chars += text.substring(start, nl).length;
    lines++;
    start = nl + 1;
  }
  pending = start === 0 ? text : text.substring(start);
}
if (pending.length > 0) lines++;
process.stdout.write(`${JSON.stringify({ lines, chars, firstChunkMs, endMs: performance.now() })}\n`);
