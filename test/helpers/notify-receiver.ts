/**
 * A stand-in for systemd's notification socket in tests: binds an AF_UNIX
 * datagram socket (a path in a temp dir, or an abstract name) through
 * bun:ffi and receives without blocking the event loop.
 *
 * @module
 */
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sockaddrUn } from "../../src/systemd/notify.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const EAGAIN = 11;
/** Larger than any notification the daemon sends. */
const MAX_DATAGRAM = 64 * 1024;

const libc = dlopen("libc.so.6", {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
}).symbols;

function errno(): number {
  const location = libc.__errno_location();
  return location === null ? 0 : read.i32(location, 0);
}

/** A bound notification socket; set `NOTIFY_SOCKET` to {@link NotifyReceiver.name}. */
export class NotifyReceiver {
  readonly #fd: number;
  readonly #dir: string | null;
  #closed = false;

  private constructor(
    readonly name: string,
    fd: number,
    dir: string | null,
  ) {
    this.#fd = fd;
    this.#dir = dir;
  }

  /** Bind a socket at a fresh path in a temp dir (`abstract: false`) or a fresh abstract name. */
  static bind(opts: { abstract?: boolean } = {}): NotifyReceiver {
    const dir = opts.abstract ? null : mkdtempSync(join(tmpdir(), "notify-"));
    const unique = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const name = dir === null ? `@drbd-reactor-test-${unique}` : join(dir, "notify.sock");
    const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new Error(`socket() failed: errno ${errno()}`);
    const { addr, len } = sockaddrUn(name);
    if (libc.bind(fd, ptr(addr), len) !== 0) {
      const e = errno();
      libc.close(fd);
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
      throw new Error(`bind(${name}) failed: errno ${e}`);
    }
    return new NotifyReceiver(name, fd, dir);
  }

  /** One pending datagram, or null when none is queued. */
  tryReceive(): string | null {
    const buf = Buffer.alloc(MAX_DATAGRAM);
    const n = Number(libc.recv(this.#fd, ptr(buf), BigInt(buf.length), 0));
    if (n >= 0) return buf.subarray(0, n).toString("utf8");
    const e = errno();
    if (e === EAGAIN) return null;
    throw new Error(`recv(${this.name}) failed: errno ${e}`);
  }

  /** The next datagram; rejects when none arrives before `timeoutMs`. */
  async receive(timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.tryReceive();
      if (message !== null) return message;
      if (Date.now() >= deadline) throw new Error(`no datagram on ${this.name} within ${timeoutMs} ms`);
      await Bun.sleep(5);
    }
  }

  /** Close the socket and remove its directory. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc.close(this.#fd);
    if (this.#dir !== null) rmSync(this.#dir, { recursive: true, force: true });
  }
}
