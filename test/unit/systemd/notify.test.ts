import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monotonicUsec, Notifier, NotifyError, sockaddrUn } from "../../../src/systemd/notify.ts";
import { NotifyReceiver } from "../../helpers/notify-receiver.ts";

const receivers: NotifyReceiver[] = [];
afterEach(() => {
  for (const r of receivers.splice(0)) r.close();
});
function bind(abstract: boolean): NotifyReceiver {
  const r = NotifyReceiver.bind({ abstract });
  receivers.push(r);
  return r;
}

describe("sockaddrUn", () => {
  test("path: NUL-terminated, length includes the terminator", () => {
    const { addr, len } = sockaddrUn("/run/x");
    expect(addr.readUInt16LE(0)).toBe(1);
    expect(addr.subarray(2, 9).toString("latin1")).toBe("/run/x\0");
    expect(len).toBe(2 + 6 + 1);
  });

  test("abstract: leading NUL instead of @, no terminator", () => {
    const { addr, len } = sockaddrUn("@abc");
    expect([...addr.subarray(2, 6)]).toEqual([0, 97, 98, 99]);
    expect(len).toBe(2 + 4);
  });

  test("other forms and overlong names are refused", () => {
    expect(() => sockaddrUn("relative/path")).toThrow('unsupported socket address "relative/path"');
    expect(() => sockaddrUn(`/${"x".repeat(107)}`)).toThrow("too long");
    expect(() => sockaddrUn(`@${"x".repeat(107)}`)).not.toThrow();
  });
});

describe("Notifier", () => {
  test("sends to a path socket, adding the trailing newline", async () => {
    const r = bind(false);
    const n = new Notifier({ NOTIFY_SOCKET: r.name });
    expect(n.send("READY=1\nSTATUS=Plugins started")).toBe(true);
    expect(await r.receive()).toBe("READY=1\nSTATUS=Plugins started\n");
    expect(n.send("STATUS=x\n")).toBe(true);
    expect(await r.receive()).toBe("STATUS=x\n");
  });

  test("sends to an abstract socket", async () => {
    const r = bind(true);
    expect(r.name.startsWith("@")).toBe(true);
    const n = new Notifier({ NOTIFY_SOCKET: r.name });
    expect(n.send("READY=1")).toBe(true);
    expect(await r.receive()).toBe("READY=1\n");
  });

  test("unset or empty NOTIFY_SOCKET: every call is a no-op returning false", () => {
    expect(new Notifier({}).send("READY=1")).toBe(false);
    const n = new Notifier({ NOTIFY_SOCKET: "" });
    expect(n.send("READY=1")).toBe(false);
    expect(n.send("STATUS=x")).toBe(false);
  });

  test("reads the variable once and removes it from the environment", async () => {
    const r = bind(false);
    const env: Record<string, string | undefined> = { NOTIFY_SOCKET: r.name, OTHER: "kept" };
    const n = new Notifier(env);
    expect(env.NOTIFY_SOCKET).toBe(r.name); // lazily: nothing read before first use
    n.send("READY=1");
    expect("NOTIFY_SOCKET" in env).toBe(false);
    expect(env.OTHER).toBe("kept");
    // Setting it again later has no effect: the first value is kept.
    env.NOTIFY_SOCKET = "/nonexistent";
    expect(n.send("STATUS=again")).toBe(true);
    expect(await r.receive()).toBe("READY=1\n");
    expect(await r.receive()).toBe("STATUS=again\n");
  });

  test("children do not inherit NOTIFY_SOCKET removed from process.env", () => {
    const r = bind(false);
    const saved = process.env.NOTIFY_SOCKET;
    process.env.NOTIFY_SOCKET = r.name;
    try {
      new Notifier().send("READY=1");
      expect(process.env.NOTIFY_SOCKET).toBeUndefined();
      const child = Bun.spawnSync(["/bin/sh", "-c", 'printf %s "${NOTIFY_SOCKET-unset}"']);
      expect(child.stdout.toString()).toBe("unset");
    } finally {
      if (saved === undefined) delete process.env.NOTIFY_SOCKET;
      else process.env.NOTIFY_SOCKET = saved;
    }
  });

  test("missing path socket: NotifyError with errno and the socket name", () => {
    const dir = mkdtempSync(join(tmpdir(), "notify-missing-"));
    try {
      const name = join(dir, "nobody-listens");
      const n = new Notifier({ NOTIFY_SOCKET: name });
      let error: unknown;
      try {
        n.send("READY=1");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NotifyError);
      expect((error as NotifyError).errno).toBe(2);
      expect((error as NotifyError).socket).toBe(name);
      expect((error as Error).message).toBe(
        `sd_notify to ${name}: sendto() failed: no such file or directory (ENOENT, errno 2)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("unbound abstract name: connection refused", () => {
    const name = `@drbd-reactor-test-unbound-${process.pid}-${Date.now()}`;
    expect(() => new Notifier({ NOTIFY_SOCKET: name }).send("READY=1")).toThrow(
      `sd_notify to ${name}: sendto() failed: connection refused (ECONNREFUSED, errno 111)`,
    );
  });

  test("unsupported address form is an error, not a silent no-op", () => {
    expect(() => new Notifier({ NOTIFY_SOCKET: "vsock:2:1234" }).send("READY=1")).toThrow("unsupported socket address");
  });
});

describe("monotonicUsec", () => {
  test("increases", async () => {
    const a = monotonicUsec();
    await Bun.sleep(20);
    const b = monotonicUsec();
    expect(b - a).toBeGreaterThanOrEqual(15_000n);
    expect(b - a).toBeLessThan(5_000_000n);
  });

  test("is close to the uptime the kernel reports", () => {
    // /proc/uptime is CLOCK_BOOTTIME, which also counts suspended time; on a
    // machine that never slept (CI, servers) the two agree to within a moment.
    const before = monotonicUsec();
    const uptimeUsec = BigInt(Math.round(Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1e6));
    const after = monotonicUsec();
    expect(before).toBeGreaterThan(0n);
    expect(after).toBeGreaterThanOrEqual(before);
    // /proc/uptime has 10 ms resolution.
    expect(after + 20_000n).toBeGreaterThanOrEqual(uptimeUsec);
    expect(uptimeUsec - before).toBeLessThan(5_000_000n);
  });
});
