/**
 * Hosts the model in the test process and serves the shims over a Unix
 * socket. The only stateful part of the simulator besides the shim
 * processes: it owns the current model, the running events2 sessions and
 * the call log, and turns model steps into event lines for every session.
 *
 * @module
 */
import { appendFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { Socket, UnixSocketListener } from "bun";
import type { Tool } from "./cmd-common.ts";
import { dispatch } from "./commands.ts";
import { Events2Stream } from "./events2-session.ts";
import type { SimModel } from "./model.ts";
import type { Steps } from "./ops.ts";
import { encode, LineSplitter, type ServerMessage, type ShimMessage } from "./protocol.ts";
import { tick } from "./tick.ts";
import { viewOf } from "./view.ts";

/** One shim invocation. */
export interface CallRecord {
  /** 1, 2, 3 … in arrival order. */
  readonly seq: number;
  readonly node: string;
  readonly tool: Tool;
  readonly argv: readonly string[];
  /** ISO 8601 arrival time. */
  readonly time: string;
  readonly pid: number;
  /** Exit code once finished (events2: when its session ended), else null. */
  exitCode: number | null;
}

/** A running `drbdsetup events2` as the server sees it. */
export interface SessionInfo {
  readonly id: number;
  readonly node: string;
  readonly pid: number;
  readonly argv: readonly string[];
  /** Lines sent to the shim so far (the initial dump included). */
  readonly linesSent: number;
  /** `n` polls fully answered so far. */
  readonly polls: number;
}

interface Session {
  id: number;
  node: string;
  pid: number;
  argv: readonly string[];
  stream: Events2Stream;
  outbox: Outbox;
  call: CallRecord;
  linesSent: number;
  polls: number;
}

interface Conn {
  splitter: LineSplitter;
  outbox: Outbox;
  session: Session | null;
  /** Whether the run message was handled. */
  started: boolean;
}

/** Writes messages to a socket, keeping what the kernel buffer did not take until `drain`. */
class Outbox {
  private pending: Uint8Array[] = [];
  private ending = false;
  private closed = false;
  private readonly encoder = new TextEncoder();

  constructor(private readonly socket: Socket<Conn>) {}

  send(msg: ServerMessage): void {
    if (this.closed || this.ending) return;
    this.pending.push(this.encoder.encode(encode(msg)));
    this.flush();
  }

  /** Send `exit` and close once everything is out. */
  finish(code: number): void {
    this.send({ t: "exit", code });
    this.ending = true;
    this.flush();
  }

  flush(): void {
    while (this.pending.length > 0 && !this.closed) {
      const chunk = this.pending[0] as Uint8Array;
      const n = this.socket.write(chunk);
      if (n < 0) {
        this.closed = true;
        this.pending = [];
        return;
      }
      if (n < chunk.length) {
        this.pending[0] = chunk.subarray(n);
        return;
      }
      this.pending.shift();
    }
    if (this.ending && this.pending.length === 0 && !this.closed) {
      this.closed = true;
      this.socket.end();
    }
  }

  markClosed(): void {
    this.closed = true;
    this.pending = [];
  }
}

/** Construction options of {@link SimServer}. */
export interface SimServerOptions {
  readonly socketPath: string;
  readonly model: SimModel;
  /** Where every call is appended as one JSON line (optional). */
  readonly callLogPath?: string;
  /** Whether an `n` poll advances the model by one tick (default true). */
  readonly advanceOnPoll?: boolean;
  /** Clock for `--timestamps` and the call log. */
  readonly clock?: () => Date;
}

/** The simulator server. */
export class SimServer {
  private current: SimModel;
  private readonly callLog: CallRecord[] = [];
  private readonly live = new Set<Session>();
  private readonly listeners = new Set<() => void>();
  private nextSession = 1;
  private readonly clock: () => Date;

  private constructor(
    private readonly opts: SimServerOptions,
    private readonly listener: UnixSocketListener<Conn>,
  ) {
    this.current = opts.model;
    this.clock = opts.clock ?? (() => new Date());
  }

  /** Start listening on `opts.socketPath` (an old socket file there is replaced). */
  static async start(opts: SimServerOptions): Promise<SimServer> {
    await rm(opts.socketPath, { force: true });
    let server: SimServer | null = null;
    const listener = Bun.listen<Conn>({
      unix: opts.socketPath,
      socket: {
        open(socket) {
          socket.data = { splitter: new LineSplitter(), outbox: new Outbox(socket), session: null, started: false };
        },
        data(socket, chunk) {
          for (const line of socket.data.splitter.push(chunk)) {
            if (line.trim() === "") continue;
            server?.onMessage(socket.data, JSON.parse(line) as ShimMessage);
          }
        },
        drain(socket) {
          socket.data.outbox.flush();
        },
        close(socket) {
          socket.data.outbox.markClosed();
          server?.onClose(socket.data);
        },
        error(socket) {
          socket.data.outbox.markClosed();
          server?.onClose(socket.data);
        },
      },
    });
    server = new SimServer(opts, listener);
    return server;
  }

  /** The current model (treat as read-only; change it with {@link apply}). */
  get model(): SimModel {
    return this.current;
  }

  /** Every shim call so far, oldest first. */
  get calls(): readonly CallRecord[] {
    return this.callLog;
  }

  /** Forget the call log (the file keeps its lines). */
  clearCalls(): void {
    this.callLog.length = 0;
  }

  /** Running events2 sessions. */
  sessions(): SessionInfo[] {
    return [...this.live].map((s) => ({
      id: s.id,
      node: s.node,
      pid: s.pid,
      argv: s.argv,
      linesSent: s.linesSent,
      polls: s.polls,
    }));
  }

  /** Be told about every change (model step, call, session start/end, poll answered). */
  onActivity(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private activity(): void {
    for (const cb of [...this.listeners]) cb();
  }

  /** Make each step the current model in turn; every session prints what changed for its node. */
  apply(steps: Steps): void {
    for (const step of steps) {
      this.current = step;
      for (const s of this.live) this.send(s, s.stream.onEvent(viewOf(step, s.node)));
    }
    this.activity();
  }

  private send(s: Session, lines: string[]): void {
    if (lines.length === 0) return;
    s.outbox.send({ t: "out", d: `${lines.join("\n")}\n` });
    s.linesSent += lines.length;
  }

  /** End the events2 sessions of `node` (all nodes when null) as if drbdsetup exited with `code`. */
  endSessions(node: string | null, code: number): number {
    let n = 0;
    for (const s of [...this.live]) {
      if (node !== null && s.node !== node) continue;
      this.live.delete(s);
      s.call.exitCode = code;
      s.outbox.finish(code);
      n++;
    }
    this.activity();
    return n;
  }

  private record(msg: Extract<ShimMessage, { t: "run" }>): CallRecord {
    const rec: CallRecord = {
      seq: this.callLog.length === 0 ? 1 : (this.callLog[this.callLog.length - 1] as CallRecord).seq + 1,
      node: msg.node,
      tool: msg.tool,
      argv: [...msg.argv],
      time: this.clock().toISOString(),
      pid: msg.pid,
      exitCode: null,
    };
    this.callLog.push(rec);
    if (this.opts.callLogPath) {
      const { exitCode: _, ...line } = rec;
      appendFileSync(this.opts.callLogPath, `${JSON.stringify(line)}\n`);
    }
    return rec;
  }

  private onMessage(conn: Conn, msg: ShimMessage): void {
    if (msg.t === "run" && !conn.started) {
      conn.started = true;
      this.run(conn, msg);
    } else if (msg.t === "poll" && conn.session && this.live.has(conn.session)) {
      this.poll(conn.session);
    }
  }

  private run(conn: Conn, msg: Extract<ShimMessage, { t: "run" }>): void {
    const call = this.record(msg);
    let d: ReturnType<typeof dispatch>;
    try {
      d = dispatch(this.current, msg.node, msg.tool, msg.argv);
    } catch (e) {
      call.exitCode = 20;
      conn.outbox.send({ t: "err", d: `drbd-sim: ${(e as Error).message}\n` });
      conn.outbox.finish(20);
      this.activity();
      return;
    }
    if (d.kind === "once") {
      this.apply(d.out.steps);
      if (d.out.stdout) conn.outbox.send({ t: "out", d: d.out.stdout });
      if (d.out.stderr) conn.outbox.send({ t: "err", d: d.out.stderr });
      call.exitCode = d.out.exitCode;
      conn.outbox.finish(d.out.exitCode);
      this.activity();
      return;
    }
    const session: Session = {
      id: this.nextSession++,
      node: msg.node,
      pid: msg.pid,
      argv: msg.argv,
      stream: new Events2Stream(d.args, this.clock),
      outbox: conn.outbox,
      call,
      linesSent: 0,
      polls: 0,
    };
    this.send(session, session.stream.dump(viewOf(this.current, msg.node)));
    if (d.args.now) {
      call.exitCode = 0;
      conn.outbox.finish(0);
    } else {
      conn.session = session;
      this.live.add(session);
      if (d.args.poll) conn.outbox.send({ t: "stdin" });
    }
    this.activity();
  }

  private poll(s: Session): void {
    if (this.opts.advanceOnPoll ?? true) this.apply([tick(this.current)]);
    this.send(s, s.stream.onPoll(viewOf(this.current, s.node)));
    s.polls++;
    this.activity();
  }

  private onClose(conn: Conn): void {
    const s = conn.session;
    if (s && this.live.has(s)) {
      // The shim went away by itself (stdin EOF or a non-`n` byte): drbdsetup exits 0 then.
      this.live.delete(s);
      s.call.exitCode = 0;
      this.activity();
    }
  }

  /** End every session, stop listening and remove the socket file. */
  async stop(): Promise<void> {
    this.endSessions(null, 0);
    this.listener.stop(true);
    await rm(this.opts.socketPath, { force: true });
  }
}
