/**
 * The AgentX session with the master agent: connect, Open, Register, serve
 * requests, Ping, and reconnect forever with backoff when anything ends the
 * session. The I/O shell around {@link respond} and the codec.
 *
 * Logging is by state change: the first failure of a kind is a warning,
 * repeats of the same failure are debug, getting registered (again) is info.
 * A master that is down for a day costs one warning, not thousands.
 *
 * @module
 */
import type { Socket } from "bun";
import type { Logger } from "../../src/log/logger.ts";
import { type AgentxAddress, formatAgentxAddress } from "./address.ts";
import { LINBIT_OID } from "./mib.ts";
import { decodePdu, encodePdu, PduFramer, pduTypeName } from "./protocol/index.ts";
import {
  AgentxDecodeError,
  CloseReason,
  Flags,
  type Pdu,
  PduType,
  ResponseError,
} from "./protocol/types.ts";
import { type MibHandler, respond, responseTo } from "./responder.ts";

/** How this subagent names itself in the Open PDU. */
export const SUBAGENT_DESCRIPTION = "LINBIT-DRBD-MIB subagent of drbd-reactor (Bun)";

/**
 * Register priority. RFC 2741's default; upstream sent 0 (a library default),
 * which silently shadows any other registration of the subtree instead of
 * letting the master report the duplicate.
 */
export const REGISTER_PRIORITY = 127;

/** Names of res.error codes for messages. */
const ERROR_NAMES = new Map<number, string>(Object.entries(ResponseError).map(([name, code]) => [code, name]));

/** `duplicateRegistration (263)`. */
export function errorName(code: number): string {
  const name = ERROR_NAMES.get(code);
  return name ? `${name[0]!.toLowerCase()}${name.slice(1)} (${code})` : `error ${code}`;
}

/** Tunables (defaults in parentheses). */
export interface SessionOptions {
  readonly address: AgentxAddress;
  /** Open PDU timeout byte, seconds. */
  readonly agentTimeout: number;
  readonly mib: MibHandler;
  readonly log: Logger;
  /** First reconnect delay (1 s); doubles per failure up to {@link maxBackoffMs}. */
  readonly initialBackoffMs?: number;
  /** Longest reconnect delay (30 s). */
  readonly maxBackoffMs?: number;
  /** How often a Ping checks that the master is alive (10 s). */
  readonly pingIntervalMs?: number;
  /** How long the master may take to answer Open, Register, Ping or Close (5 s). */
  readonly responseTimeoutMs?: number;
  /** Byte order of our PDUs; the master answers in the Open's (little-endian, as upstream). */
  readonly networkByteOrder?: boolean;
}

/** Observable session state (for tests and status). */
export type SessionState = "connecting" | "registered" | "waiting" | "stopped";

class SessionEnded extends Error {}

/** One connection to the master; ends on EOF, error, Close or a protocol violation. */
class Connection {
  readonly #framer = new PduFramer();
  readonly #pending = new Map<number, { resolve: (pdu: Pdu) => void; reject: (e: Error) => void }>();
  readonly #queue: Uint8Array[] = [];
  #socket: Socket<undefined> | null = null;
  #nextPacketId = 1;
  #endReason: string | null = null;
  readonly ended: Promise<string>;
  #resolveEnded!: (reason: string) => void;

  constructor(
    private readonly mib: MibHandler,
    private readonly log: Logger,
    private readonly flags: number,
  ) {
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  attach(socket: Socket<undefined>): void {
    this.#socket = socket;
  }

  get isEnded(): boolean {
    return this.#endReason !== null;
  }

  /** Bytes from the master: split into PDUs and handle each. */
  receive(chunk: Uint8Array): void {
    if (this.#endReason !== null) return;
    try {
      this.#framer.push(chunk);
      for (let bytes = this.#framer.next(); bytes !== null; bytes = this.#framer.next()) {
        this.#handle(bytes);
        if (this.#endReason !== null) return;
      }
    } catch (e) {
      // The framer cannot resynchronise a stream whose length field is garbage.
      this.end(`malformed AgentX stream from the master: ${(e as Error).message}`);
    }
  }

  #handle(bytes: Uint8Array): void {
    let pdu: Pdu;
    try {
      pdu = decodePdu(bytes);
    } catch (e) {
      const header = e instanceof AgentxDecodeError ? e.header : undefined;
      this.log.warn(`malformed PDU from the master (${(e as Error).message}); answered parseError`);
      if (header && header.type !== PduType.Response && header.type !== PduType.CleanupSet) {
        this.send(responseTo(header, ResponseError.ParseError, 0, []));
      }
      return;
    }
    if (pdu.type === PduType.Response) {
      const waiter = this.#pending.get(pdu.packetId);
      if (waiter) {
        this.#pending.delete(pdu.packetId);
        waiter.resolve(pdu);
      } else {
        this.log.debug(`ignoring a Response for unknown packet ${pdu.packetId}`);
      }
      return;
    }
    let reply: ReturnType<typeof respond>;
    try {
      reply = respond(pdu, this.mib);
    } catch (e) {
      this.log.error(`answering a ${pduTypeName(pdu.type)} failed: ${(e as Error).stack ?? e}`);
      reply = { kind: "respond", pdu: responseTo(pdu, ResponseError.GenErr, 0, []) };
    }
    if (reply.kind === "respond") this.send(reply.pdu);
    else if (reply.kind === "closed") this.end(`the master closed the session (reason ${closeReasonName(reply.reason)})`);
  }

  /** Send a request of ours and wait for its Response. */
  request(make: (ids: { flags: number; packetId: number }) => Pdu, timeoutMs: number): Promise<Pdu> {
    const packetId = this.#nextPacketId++;
    const pdu = make({ flags: this.flags, packetId });
    return new Promise<Pdu>((resolve, reject) => {
      if (this.#endReason !== null) return reject(new SessionEnded(this.#endReason));
      const timer = setTimeout(() => {
        this.#pending.delete(packetId);
        reject(new Error(`the master did not answer our ${pduTypeName(pdu.type)} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.#pending.set(packetId, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.send(pdu);
    });
  }

  send(pdu: Pdu): void {
    const socket = this.#socket;
    if (socket === null || this.#endReason !== null) return;
    const bytes = encodePdu(pdu);
    if (this.#queue.length > 0) {
      this.#queue.push(bytes);
      return;
    }
    const written = socket.write(bytes);
    if (written < bytes.length) this.#queue.push(bytes.subarray(Math.max(written, 0)));
  }

  /** The socket can take more: flush what a short write left behind. */
  drain(): void {
    const socket = this.#socket;
    while (socket && this.#queue.length > 0) {
      const bytes = this.#queue[0]!;
      const written = socket.write(bytes);
      if (written < bytes.length) {
        this.#queue[0] = bytes.subarray(Math.max(written, 0));
        return;
      }
      this.#queue.shift();
    }
  }

  /** End the connection (idempotent); the first reason wins. */
  end(reason: string): void {
    if (this.#endReason !== null) return;
    this.#endReason = reason;
    for (const waiter of this.#pending.values()) waiter.reject(new SessionEnded(reason));
    this.#pending.clear();
    this.#queue.length = 0;
    this.#socket?.end();
    this.#resolveEnded(reason);
  }
}

function closeReasonName(reason: number): string {
  const name = Object.entries(CloseReason).find(([, code]) => code === reason)?.[0];
  return name ? `${name[0]!.toLowerCase()}${name.slice(1)}` : String(reason);
}

function connectError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const hint =
    err.code === "ENOENT"
      ? " (no socket there: is snmpd running with `master agentx`?)"
      : err.code === "ECONNREFUSED"
        ? " (nothing listens there: is snmpd running with `master agentx` and this agentXSocket?)"
        : err.code === "EACCES"
          ? " (permission denied: see agentXPerms in snmpd.conf)"
          : "";
  return `${err.code ?? err.message}${hint}`;
}

/** The subagent's lifetime: sessions, one after another, until {@link stop}. */
export class AgentxSession {
  readonly #opts: Required<SessionOptions>;
  readonly #where: string;
  #state: SessionState = "connecting";
  #stopped = false;
  #connection: Connection | null = null;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  /** Last problem logged at warn, so repeats go to debug. */
  #lastProblem: string | null = null;
  #failures = 0;
  /** Assigned by the master in the Open Response; used in every PDU of ours after that. */
  #sessionId = 0;

  constructor(options: SessionOptions) {
    this.#opts = {
      initialBackoffMs: 1000,
      maxBackoffMs: 30_000,
      pingIntervalMs: 10_000,
      responseTimeoutMs: 5000,
      networkByteOrder: false,
      ...options,
    };
    this.#where = formatAgentxAddress(options.address);
  }

  /** Current state. */
  get state(): SessionState {
    return this.#state;
  }

  /** Start connecting (in the background; never throws). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Close the session politely (Close PDU, bounded wait) and stop reconnecting. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wake?.();
    const connection = this.#connection;
    if (connection && this.#state === "registered" && !connection.isEnded) {
      try {
        await connection.request(
          (ids) => ({ type: PduType.Close, ...ids, sessionId: this.#sessionId, transactionId: 0, reason: CloseReason.Shutdown }),
          500,
        );
      } catch {
        // Stopping anyway: the master drops the registration on EOF too.
      }
    }
    connection?.end("stopped");
    await this.#loop;
    this.#state = "stopped";
  }

  async #run(): Promise<void> {
    let delay = this.#opts.initialBackoffMs;
    while (!this.#stopped) {
      this.#state = "connecting";
      let problem: string;
      let wasRegistered = false;
      try {
        problem = await this.#session(() => {
          wasRegistered = true;
        });
      } catch (e) {
        problem = e instanceof SessionEnded ? e.message : (e as Error).message;
      }
      if (this.#stopped) break;
      if (wasRegistered) delay = this.#opts.initialBackoffMs;
      this.#failures++;
      this.#report(problem, delay);
      this.#state = "waiting";
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
      delay = Math.min(delay * 2, this.#opts.maxBackoffMs);
    }
  }

  #report(problem: string, delayMs: number): void {
    const message = `${this.#where}: ${problem}; retrying in ${delayMs / 1000} s (then doubling up to ${this.#opts.maxBackoffMs / 1000} s)`;
    if (problem !== this.#lastProblem) {
      this.#opts.log.warn(message);
      this.#lastProblem = problem;
    } else {
      this.#opts.log.debug(message);
    }
  }

  /** One session; resolves with the reason it ended. */
  async #session(onRegistered: () => void): Promise<string> {
    const { address, log, responseTimeoutMs } = this.#opts;
    const flags = this.#opts.networkByteOrder ? Flags.NetworkByteOrder : 0;
    const connection = new Connection(this.#opts.mib, log, flags);
    this.#connection = connection;
    const handlers = {
      data: (_s: Socket<undefined>, chunk: Uint8Array) => connection.receive(chunk),
      drain: () => connection.drain(),
      close: () => connection.end("the master closed the connection"),
      end: () => connection.end("the master closed the connection"),
      error: (_s: Socket<undefined>, e: Error) => connection.end(`connection error: ${e.message}`),
    };
    let socket: Socket<undefined>;
    try {
      const connecting =
        address.kind === "unix"
          ? Bun.connect({ unix: address.path, socket: handlers })
          : Bun.connect({ hostname: address.host, port: address.port, socket: handlers });
      socket = await withTimeout(connecting, responseTimeoutMs, `connecting took longer than ${responseTimeoutMs / 1000} s`);
    } catch (e) {
      return `cannot connect: ${connectError(e)}`;
    }
    connection.attach(socket);
    if (this.#stopped) {
      connection.end("stopped");
      return "stopped";
    }
    try {
      return await this.#serve(connection, onRegistered);
    } catch (e) {
      const reason = (e as Error).message;
      connection.end(reason);
      return reason;
    }
  }

  /** Open, Register, then serve until the connection ends. */
  async #serve(connection: Connection, onRegistered: () => void): Promise<string> {
    const { log, responseTimeoutMs } = this.#opts;

    const open = await connection.request(
      (ids) => ({
        type: PduType.Open,
        ...ids,
        sessionId: 0,
        transactionId: 0,
        timeout: this.#opts.agentTimeout,
        id: LINBIT_OID,
        description: new TextEncoder().encode(SUBAGENT_DESCRIPTION),
      }),
      responseTimeoutMs,
    );
    if (open.type !== PduType.Response) return "unexpected answer to Open";
    if (open.error !== 0) {
      connection.end("open refused");
      return `the master refused our Open PDU: ${errorName(open.error)}`;
    }
    this.#sessionId = open.sessionId;

    const registered = await connection.request(
      (ids) => ({
        type: PduType.Register,
        ...ids,
        sessionId: this.#sessionId,
        transactionId: 0,
        timeout: 0,
        priority: REGISTER_PRIORITY,
        rangeSubid: 0,
        subtree: LINBIT_OID,
      }),
      responseTimeoutMs,
    );
    if (registered.type !== PduType.Response) return "unexpected answer to Register";
    if (registered.error !== 0) {
      connection.end("register refused");
      const why =
        registered.error === ResponseError.DuplicateRegistration
          ? "another subagent already serves 1.3.6.1.4.1.23302 at the same priority (a second drbd-reactor, or a stale session the master has not dropped yet)"
          : "the master refused the registration";
      return `${why}: ${errorName(registered.error)}`;
    }

    this.#state = "registered";
    onRegistered();
    const again = this.#failures > 0 ? ` again after ${this.#failures} failed attempt${this.#failures === 1 ? "" : "s"}` : "";
    log.info(`registered LINBIT-DRBD-MIB (1.3.6.1.4.1.23302) with the AgentX master at ${this.#where}${again} (session ${this.#sessionId})`);
    this.#failures = 0;
    this.#lastProblem = null;

    const ping = setInterval(() => {
      connection
        .request(
          (ids) => ({ type: PduType.Ping, ...ids, sessionId: this.#sessionId, transactionId: 0 }),
          responseTimeoutMs,
        )
        .then(
          (r) => {
            if (r.type === PduType.Response && r.error !== 0) connection.end(`the master answered our Ping with ${errorName(r.error)}`);
          },
          (e: Error) => connection.end(e instanceof SessionEnded ? e.message : `${e.message} (is the master hung?)`),
        );
    }, this.#opts.pingIntervalMs);
    try {
      return await connection.ended;
    } finally {
      clearInterval(ping);
    }
  }
}

/** `connecting`, or a rejection after `ms`; a socket that connects after the deadline is closed, not leaked. */
function withTimeout(connecting: Promise<Socket<undefined>>, ms: number, message: string): Promise<Socket<undefined>> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(message));
    }, ms);
    connecting.then(
      (socket) => {
        clearTimeout(timer);
        if (timedOut) socket.end();
        else resolve(socket);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
