/**
 * Test helpers around real shim processes: a line reader with deadlines and
 * a handle on a spawned `drbdsetup events2` that knows, from the server's
 * per-session line count, exactly which lines an operation or a poll
 * produced (so tests assert exact output without sleeping).
 *
 * @module
 */
import type { Subprocess } from "bun";
import type { SimCluster } from "./cluster.ts";
import type { SessionInfo } from "./server.ts";

/** Reject `p` with a clear error after `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a byte stream as lines; every wait has a deadline. */
export class LineReader {
  private readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> };
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private readonly queue: string[] = [];
  private pendingRead: Promise<boolean> | null = null;
  /** Lines handed out so far. */
  consumed = 0;
  /** The stream ended. */
  ended = false;

  /** @param stream e.g. a spawned process's stdout */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  /** Pull one chunk into the queue; false at end of stream. */
  private fill(): Promise<boolean> {
    this.pendingRead ??= this.reader.read().then(({ done, value }) => {
      this.pendingRead = null;
      if (done) {
        this.ended = true;
        if (this.buffer !== "") this.queue.push(this.buffer);
        this.buffer = "";
        return false;
      }
      this.buffer += this.decoder.decode(value ?? new Uint8Array(), { stream: true });
      const parts = this.buffer.split("\n");
      this.buffer = parts.pop() ?? "";
      this.queue.push(...parts);
      return true;
    });
    return this.pendingRead;
  }

  /** The next line; rejects at end of stream or after `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.ended) throw new Error("stream ended while waiting for a line");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for a line`);
      await withTimeout(this.fill(), left, "a line");
    }
    this.consumed++;
    return this.queue.shift() as string;
  }

  /** Read until `consumed === total`; returns the lines read. */
  async upTo(total: number, timeoutMs = 5000): Promise<string[]> {
    const out: string[] = [];
    while (this.consumed < total) out.push(await this.next(timeoutMs));
    return out;
  }

  /** Read lines until one matches; returns it and the lines skipped before it. */
  async until(pred: (line: string) => boolean, timeoutMs = 5000): Promise<{ line: string; skipped: string[] }> {
    const skipped: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.next(Math.max(1, deadline - Date.now()));
      if (pred(line)) return { line, skipped };
      skipped.push(line);
    }
  }

  /** Everything until end of stream. */
  async rest(timeoutMs = 5000): Promise<string[]> {
    const out: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.queue.length > 0) {
        out.push(await this.next());
        continue;
      }
      if (this.ended) return out;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for end of stream`);
      await withTimeout(this.fill(), left, "end of stream");
    }
  }
}

/** A spawned `drbdsetup events2` shim. */
export interface Events2Process {
  readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  readonly reader: LineReader;
  /** Lines of the initial dump, `exists -` included. */
  readonly initial: string[];
  /** The server's view of this process. */
  session(): SessionInfo;
  /** Read every line the server has sent so far that was not read yet. */
  drain(): Promise<string[]>;
  /** Run `op` and return exactly the lines it made this process print. */
  linesFor(op: () => unknown): Promise<string[]>;
  /** Write `n\n` and return exactly the lines printed in answer. */
  poll(): Promise<string[]>;
  /** Kill the process (SIGTERM) and wait for it. */
  stop(): Promise<void>;
}

/**
 * Spawn `drbdsetup <args>` with `node`'s shims first in PATH, wait until its
 * initial dump (through `exists -`) was read and the server registered it.
 * With `--now` the session ends right after the dump: use the reader directly.
 */
export async function spawnEvents2(
  c: SimCluster,
  node: string,
  args: string[] = ["events2", "--full", "--poll"],
  timeoutMs = 10000,
): Promise<Events2Process> {
  const proc = Bun.spawn([`${c.binDir(node)}/drbdsetup`, ...args], {
    env: c.env(node),
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = new LineReader(proc.stdout);
  const { line, skipped } = await reader.until((l) => l.endsWith("exists -"), timeoutMs);
  const initial = [...skipped, line];
  const session = (): SessionInfo => {
    const s = c.sessions().find((x) => x.pid === proc.pid);
    if (!s) throw new Error(`no events2 session for pid ${proc.pid} (exited?)`);
    return s;
  };
  const drain = (): Promise<string[]> => reader.upTo(session().linesSent, timeoutMs);
  return {
    proc,
    reader,
    initial,
    session,
    drain,
    async linesFor(op) {
      await drain();
      await op();
      return reader.upTo(session().linesSent, timeoutMs);
    },
    async poll() {
      await drain();
      const before = session().polls;
      proc.stdin.write("n\n");
      await proc.stdin.flush();
      const s = await c.waitFor(() => {
        const cur = session();
        return cur.polls > before ? cur : null;
      }, { timeoutMs, what: `poll answer from pid ${proc.pid}` });
      return reader.upTo(s.linesSent, timeoutMs);
    },
    async stop() {
      proc.kill();
      await withTimeout(proc.exited, timeoutMs, `exit of pid ${proc.pid}`);
    },
  };
}

/** Output of a finished shim command. */
export interface ShimRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run `tool args…` through `node`'s shim and collect its output. Never use
 * `Bun.spawnSync` for shims in the process hosting the cluster: it blocks
 * the event loop the simulator server needs to answer.
 */
export async function runShim(
  c: SimCluster,
  node: string,
  tool: "drbdsetup" | "drbdadm",
  args: string[],
  timeoutMs = 10000,
): Promise<ShimRun> {
  const proc = Bun.spawn([`${c.binDir(node)}/${tool}`, ...args], {
    env: c.env(node),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await withTimeout(
    Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]),
    timeoutMs,
    `${tool} ${args.join(" ")} on ${node}`,
  );
  return { exitCode, stdout, stderr };
}
