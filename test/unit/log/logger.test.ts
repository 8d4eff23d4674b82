import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FdSink, isJournalStream, LogHub, MemorySink, openSinks } from "../../../src/log/logger.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "logger-test-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `dev:ino` of an fd, the way systemd writes JOURNAL_STREAM. */
function journalStreamOf(fd: number): string {
  const st = fstatSync(fd, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

/** File descriptors this process has open that point into `dir`. */
function fdsInto(d: string): string[] {
  return readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(d) ? [target] : [];
    } catch {
      return [];
    }
  });
}

describe("line format and level filtering", () => {
  test("LEVEL [module] message", () => {
    const sink = new MemorySink("trace");
    const log = new LogHub([sink]).logger("drbd_reactor::core");
    log.error("e");
    log.warn("w");
    log.info("i");
    log.debug("d");
    log.trace("t");
    expect(sink.lines).toEqual([
      "ERROR [drbd_reactor::core] e",
      "WARN [drbd_reactor::core] w",
      "INFO [drbd_reactor::core] i",
      "DEBUG [drbd_reactor::core] d",
      "TRACE [drbd_reactor::core] t",
    ]);
  });

  test("each sink filters by its own level", () => {
    const info = new MemorySink("info");
    const debug = new MemorySink("debug");
    const off = new MemorySink("off");
    const log = new LogHub([info, debug, off]).logger("m");
    log.trace("t");
    log.debug("d");
    log.info("i");
    log.error("e");
    expect(info.lines).toEqual(["INFO [m] i", "ERROR [m] e"]);
    expect(debug.lines).toEqual(["DEBUG [m] d", "INFO [m] i", "ERROR [m] e"]);
    expect(off.lines).toEqual([]);
  });

  test("child loggers share the sinks under their own module", () => {
    const sink = new MemorySink();
    const log = new LogHub([sink]).logger("core");
    log.child("debugger").info("x");
    expect(sink.lines).toEqual(["INFO [debugger] x"]);
  });

  test("setSinks swaps sinks for existing loggers", () => {
    const hub = new LogHub([]);
    const log = hub.logger("m");
    log.error("lost");
    const sink = new MemorySink("warn");
    hub.setSinks([sink]);
    log.warn("kept");
    log.info("filtered");
    expect(sink.lines).toEqual(["WARN [m] kept"]);
  });
});

describe("enabled()", () => {
  test("true only if some sink admits the level", () => {
    const hub = new LogHub([new MemorySink("warn"), new MemorySink("info")]);
    const log = hub.logger("m");
    expect(log.enabled("error")).toBe(true);
    expect(log.enabled("info")).toBe(true);
    expect(log.enabled("debug")).toBe(false);
    expect(log.enabled("trace")).toBe(false);
  });

  test("nothing is enabled without sinks or with only off sinks", () => {
    expect(new LogHub([]).logger("m").enabled("error")).toBe(false);
    expect(new LogHub([new MemorySink("off")]).logger("m").enabled("error")).toBe(false);
  });

  test("'off' is never enabled (nothing can be logged at it)", () => {
    expect(new LogHub([new MemorySink("trace")]).logger("m").enabled("off")).toBe(false);
  });
});

describe("FdSink", () => {
  test("writes one line per message, no prefix by default", () => {
    const file = join(dir, "out.log");
    const fd = openSync(file, "a");
    const hub = new LogHub([new FdSink("info", fd, { owned: true })]);
    hub.logger("m").warn("hello");
    hub.logger("m").debug("filtered");
    hub.close();
    expect(readFileSync(file, "utf8")).toBe("WARN [m] hello\n");
  });

  test("priority prefixes map levels to syslog priorities", () => {
    const file = join(dir, "out.log");
    const fd = openSync(file, "a");
    const hub = new LogHub([new FdSink("trace", fd, { priorityPrefix: true, owned: true })]);
    const log = hub.logger("m");
    log.error("e");
    log.warn("w");
    log.info("i");
    log.debug("d");
    log.trace("t");
    hub.close();
    expect(readFileSync(file, "utf8")).toBe("<3>ERROR [m] e\n<4>WARN [m] w\n<6>INFO [m] i\n<7>DEBUG [m] d\n<7>TRACE [m] t\n");
  });

  test("every line of a multi-line message gets the priority prefix", () => {
    const file = join(dir, "out.log");
    const fd = openSync(file, "a");
    const sink = new FdSink("trace", fd, { priorityPrefix: true, owned: true });
    new LogHub([sink]).logger("m").error("first\nsecond");
    sink.close();
    expect(readFileSync(file, "utf8")).toBe("<3>ERROR [m] first\n<3>second\n");
  });

  test("close is idempotent and later writes are dropped", () => {
    const file = join(dir, "out.log");
    const sink = new FdSink("info", openSync(file, "a"), { owned: true });
    sink.close();
    expect(() => sink.close()).not.toThrow();
    sink.write(3, "after close");
    expect(readFileSync(file, "utf8")).toBe("");
  });

  test("a write error does not throw", () => {
    const fd = openSync(join(dir, "ro"), "w");
    closeSync(fd);
    const readOnly = openSync(join(dir, "ro"), "r");
    const sink = new FdSink("info", readOnly, { owned: true });
    expect(() => sink.write(3, "x")).not.toThrow();
    sink.close();
  });
});

describe("openSinks", () => {
  test("file sinks append and never get a prefix", () => {
    const file = join(dir, "reactor.log");
    writeFileSync(file, "existing\n");
    const stderrFd = openSync(join(dir, "stderr"), "a");
    try {
      const sinks = openSinks([{ level: "info", file }], { JOURNAL_STREAM: journalStreamOf(stderrFd) }, stderrFd);
      const hub = new LogHub(sinks);
      hub.logger("m").info("appended");
      hub.close();
      expect(readFileSync(file, "utf8")).toBe("existing\nINFO [m] appended\n");
    } finally {
      closeSync(stderrFd);
    }
  });

  test("stderr sink gets <N> only when JOURNAL_STREAM names the stderr stream", () => {
    const stderrPath = join(dir, "stderr");
    const stderrFd = openSync(stderrPath, "a");
    const other = openSync(join(dir, "other"), "a");
    const emit = (env: Record<string, string | undefined>, text: string) => {
      const hub = new LogHub(openSinks([{ level: "info" }], env, stderrFd));
      hub.logger("m").warn(text);
      hub.close(); // must not close stderr: the sink does not own it
    };
    try {
      emit({}, "unset");
      emit({ JOURNAL_STREAM: journalStreamOf(stderrFd) }, "journal");
      emit({ JOURNAL_STREAM: journalStreamOf(other) }, "inherited");
      emit({ JOURNAL_STREAM: "garbage" }, "garbage");
      expect(readFileSync(stderrPath, "utf8")).toBe(
        "WARN [m] unset\n<4>WARN [m] journal\nWARN [m] inherited\nWARN [m] garbage\n",
      );
    } finally {
      closeSync(stderrFd);
      closeSync(other);
    }
  });

  test("an unopenable file is an error naming it, and files opened before are closed", () => {
    const good = join(dir, "good.log");
    const bad = join(dir, "missing-dir", "x.log");
    expect(() => openSinks([{ level: "info", file: good }, { level: "info", file: bad }], {})).toThrow(
      `cannot open log file "${bad}"`,
    );
    expect(fdsInto(dir)).toEqual([]);
  });

  test("no entries, no sinks", () => {
    expect(openSinks([], {})).toEqual([]);
  });
});

describe("isJournalStream", () => {
  test("matches device and inode of the fd", () => {
    const fd = openSync(join(dir, "s"), "a");
    try {
      expect(isJournalStream({ JOURNAL_STREAM: journalStreamOf(fd) }, fd)).toBe(true);
      expect(isJournalStream({ JOURNAL_STREAM: "1:2" }, fd)).toBe(false);
      expect(isJournalStream({}, fd)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });

  test("a closed fd is not a journal stream", () => {
    const fd = openSync(join(dir, "s"), "a");
    const stream = journalStreamOf(fd);
    closeSync(fd);
    expect(isJournalStream({ JOURNAL_STREAM: stream }, fd)).toBe(false);
  });
});
