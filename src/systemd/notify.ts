/**
 * sd_notify(3) without libsystemd: one AF_UNIX datagram per message to the
 * socket named by `NOTIFY_SOCKET`, sent through libc with bun:ffi (neither
 * node:dgram nor Bun's sockets can send to a Unix datagram socket).
 *
 * libc is opened on first use only, so a daemon that does not run under
 * systemd never needs FFI (which requires the JIT, see packaging.md §3).
 *
 * @module
 */
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { getSystemErrorMessage, getSystemErrorName } from "node:util";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
/** Linux value; the socket must not leak into children started while it is open. */
const SOCK_CLOEXEC = 0o2000000;
/** A vanished receiver must not kill the daemon with SIGPIPE. */
const MSG_NOSIGNAL = 0x4000;
const CLOCK_MONOTONIC = 1;
/** `sizeof(struct sockaddr_un)` on Linux: 2 bytes family + 108 bytes path. */
const SOCKADDR_UN_SIZE = 110;
const SUN_PATH_OFFSET = 2;
const SUN_PATH_SIZE = SOCKADDR_UN_SIZE - SUN_PATH_OFFSET;

function openLibc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    sendto: {
      args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32],
      returns: FFIType.i64,
    },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}

let libc: ReturnType<typeof openLibc> | undefined;
function getLibc(): ReturnType<typeof openLibc> {
  libc ??= openLibc();
  return libc;
}

/** errno of the libc call that just failed. Read right away: later calls may overwrite it. */
function lastErrno(): number {
  const location = getLibc().__errno_location();
  return location === null ? 0 : read.i32(location, 0);
}

/** A failed notification: `errno` is the libc error number, `socket` the NOTIFY_SOCKET value. */
export class NotifyError extends Error {
  constructor(
    readonly socket: string,
    readonly errno: number,
    what: string,
  ) {
    const reason = errno > 0 ? `${getSystemErrorMessage(-errno)} (${getSystemErrorName(-errno)}, errno ${errno})` : "";
    super(`sd_notify to ${socket}: ${what}${reason ? `: ${reason}` : ""}`);
    this.name = "NotifyError";
  }
}

/**
 * Encode a `NOTIFY_SOCKET` value as `struct sockaddr_un`: `/path` (NUL
 * terminated) or `@name` for the abstract namespace (leading NUL byte, no
 * terminator: every byte of the given length is part of the name).
 *
 * @returns the address buffer and the address length to pass to the kernel.
 * @throws Error for other forms or names that do not fit.
 */
export function sockaddrUn(name: string): { addr: Buffer; len: number } {
  const abstract = name.startsWith("@");
  if (!abstract && !name.startsWith("/")) {
    throw new Error(`unsupported socket address ${JSON.stringify(name)}: expected "/path" or "@abstract-name"`);
  }
  const bytes = Buffer.from(name);
  // A path needs room for its terminating NUL; an abstract name does not.
  if (bytes.length > (abstract ? SUN_PATH_SIZE : SUN_PATH_SIZE - 1)) {
    throw new Error(`socket address ${JSON.stringify(name)} is too long (${bytes.length} bytes)`);
  }
  const addr = Buffer.alloc(SOCKADDR_UN_SIZE);
  addr.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(addr, SUN_PATH_OFFSET);
  if (abstract) addr[SUN_PATH_OFFSET] = 0;
  return { addr, len: SUN_PATH_OFFSET + bytes.length + (abstract ? 0 : 1) };
}

/** Send one datagram to `socketName`; throws {@link NotifyError}. */
function sendDatagram(socketName: string, message: Buffer): void {
  const { addr, len } = sockaddrUn(socketName);
  const c = getLibc();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new NotifyError(socketName, lastErrno(), "socket() failed");
  try {
    const sent = Number(c.sendto(fd, ptr(message), BigInt(message.length), MSG_NOSIGNAL, ptr(addr), len));
    if (sent < 0) throw new NotifyError(socketName, lastErrno(), "sendto() failed");
    if (sent !== message.length) {
      throw new NotifyError(socketName, 0, `short write (${sent} of ${message.length} bytes)`);
    }
  } finally {
    c.close(fd);
  }
}

/**
 * Sends sd_notify messages. `NOTIFY_SOCKET` is read from `env` on the first
 * {@link Notifier.send} and then deleted from it, so processes the daemon
 * starts later (umh handlers, systemctl …) do not inherit it and talk to
 * systemd on the daemon's behalf.
 */
export class Notifier {
  readonly #env: Record<string, string | undefined>;
  /** undefined: not read yet; null: not running under systemd notify. */
  #socket: string | null | undefined;

  constructor(env: Record<string, string | undefined> = process.env) {
    this.#env = env;
  }

  /** The notification socket, or null when notifications are disabled. Reads the environment once. */
  get socket(): string | null {
    if (this.#socket === undefined) {
      const value = this.#env.NOTIFY_SOCKET;
      this.#socket = value === undefined || value === "" ? null : value;
      delete this.#env.NOTIFY_SOCKET;
    }
    return this.#socket;
  }

  /**
   * Send `state` (newline-separated assignments such as `READY=1` or
   * `STATUS=…`); a trailing newline is added when missing.
   *
   * @returns false when `NOTIFY_SOCKET` is unset (nothing sent), true when sent.
   * @throws NotifyError when the message cannot be delivered.
   */
  send(state: string): boolean {
    const socket = this.socket;
    if (socket === null) return false;
    sendDatagram(socket, Buffer.from(state.endsWith("\n") ? state : `${state}\n`));
    return true;
  }
}

/**
 * CLOCK_MONOTONIC in microseconds, the clock systemd expects in
 * `MONOTONIC_USEC=` (Bun's `process.hrtime` counts from process start instead).
 */
export function monotonicUsec(): bigint {
  const ts = new BigInt64Array(2); // struct timespec { time_t tv_sec; long tv_nsec; } on 64-bit Linux
  if (getLibc().clock_gettime(CLOCK_MONOTONIC, ptr(ts)) !== 0) {
    throw new Error(`clock_gettime(CLOCK_MONOTONIC) failed: errno ${lastErrno()}`);
  }
  return ts[0]! * 1_000_000n + ts[1]! / 1_000n;
}
