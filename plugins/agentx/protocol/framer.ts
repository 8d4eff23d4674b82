/**
 * Cuts a byte stream into PDUs. AgentX has no framing besides each header's
 * payload_length, and TCP/Unix stream reads split and coalesce PDUs freely.
 *
 * @module
 */
import { AgentxDecodeError } from "./types.ts";
import { HEADER_SIZE, isBigEndian } from "./wire.ts";

/** Default largest payload accepted (1 MiB); real requests are a few hundred bytes. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** Options of {@link PduFramer}. */
export interface PduFramerOptions {
  /** Largest payload_length accepted, in bytes (default 1 MiB). */
  readonly maxPayload?: number;
}

/**
 * Accumulates stream chunks and hands out complete PDUs (header + payload)
 * one at a time.
 *
 * The bytes returned by `next()` are views into the framer's storage that it
 * never writes again, so they stay valid. Once `next()` has thrown, the
 * stream cannot be re-synchronised: drop the connection (or `reset()`).
 */
export class PduFramer {
  readonly #maxPayload: number;
  #buf = new Uint8Array(0);
  /** First unconsumed byte. */
  #start = 0;
  /** End of the received bytes. */
  #end = 0;

  /** A framer for one connection; see {@link PduFramerOptions}. */
  constructor(options: PduFramerOptions = {}) {
    this.#maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  }

  /** Bytes received but not yet returned by `next()`. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Append a chunk as read from the stream (it is copied; the caller may reuse it). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#end + chunk.length > this.#buf.length) {
      // Move the unconsumed tail into a fresh buffer rather than compacting in
      // place: views already handed out must not change under their holders.
      // Doubling keeps the copying linear in the stream length.
      const pending = this.#end - this.#start;
      const next = new Uint8Array(Math.max(2 * (pending + chunk.length), 4096));
      next.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = next;
      this.#start = 0;
      this.#end = pending;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /**
   * The next complete PDU, or null until more bytes arrive. Throws
   * `AgentxDecodeError` (without `header`: the stream is unusable) when a
   * payload_length is not a multiple of 4 or exceeds the maximum.
   */
  next(): Uint8Array | null {
    if (this.#end - this.#start < HEADER_SIZE) return null;
    const at = this.#start;
    const view = new DataView(this.#buf.buffer, this.#buf.byteOffset + at, HEADER_SIZE);
    // Each PDU states its own byte order; the length is read in it.
    const length = view.getUint32(16, !isBigEndian(this.#buf[at + 2]!));
    if (length % 4 !== 0) throw new AgentxDecodeError(`payload_length ${length} is not a multiple of 4`);
    if (length > this.#maxPayload) {
      throw new AgentxDecodeError(`payload_length ${length} exceeds the maximum of ${this.#maxPayload}`);
    }
    const total = HEADER_SIZE + length;
    if (this.#end - at < total) return null;
    this.#start = at + total;
    if (this.#start === this.#end) {
      // Everything consumed: later chunks can start at the front again only
      // in a new buffer (the old one backs the view returned now).
      const pdu = this.#buf.subarray(at, at + total);
      this.#buf = this.#buf.subarray(this.#end);
      this.#start = 0;
      this.#end = 0;
      return pdu;
    }
    return this.#buf.subarray(at, at + total);
  }

  /** Forget everything buffered (e.g. after a reconnect). */
  reset(): void {
    this.#buf = new Uint8Array(0);
    this.#start = 0;
    this.#end = 0;
  }
}
