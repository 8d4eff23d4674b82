/**
 * The two C formatting behaviours drbdsetup output depends on: `%.<n>f` of a
 * double and the `--timestamps` line prefix.
 *
 * @module
 */

/**
 * Format like C's `printf("%.<digits>f", x)` with glibc semantics: `nan`,
 * `inf`, and exact binary ties rounded half-to-even (JavaScript's `toFixed`
 * rounds them up, so `0.125` would print `0.13` where drbdsetup prints `0.12`).
 */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return x < 0 ? "-nan" : "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  const scale = 10 ** digits;
  const scaled = x * scale;
  const floor = Math.floor(scaled);
  // Only an exact .5 in binary is a tie; the product is exact for such values
  // because they are multiples of a small power of two.
  if (scaled - floor === 0.5 && Number.isSafeInteger(floor)) {
    const even = floor % 2 === 0 ? floor : floor + 1;
    return (even / scale).toFixed(digits);
  }
  return x.toFixed(digits);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * The `--timestamps` prefix drbdsetup puts before every line of one event:
 * local time with microseconds and UTC offset, then a space, e.g.
 * `2024-05-01T12:34:56.123456+02:00 `. JavaScript clocks have millisecond
 * resolution, so the last three digits come from `micros` (default 0).
 */
export function formatTimestamp(date: Date, micros = 0): string {
  const usec = date.getMilliseconds() * 1000 + (micros % 1000);
  const offsetMin = -date.getTimezoneOffset();
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1, 2)}-${pad(date.getDate(), 2)}` +
    `T${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}:${pad(date.getSeconds(), 2)}` +
    `.${pad(usec, 6)}${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)} `
  );
}
