/**
 * Free loopback ports for programs that cannot bind port 0 and tell us
 * (snmpd, prometheus): bind 0, read the port back, release it.
 *
 * @module
 */

/** A TCP port on 127.0.0.1 nobody listens on right now. */
export function freeTcpPort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** A UDP port on 127.0.0.1 nobody uses right now. */
export async function freeUdpPort(): Promise<number> {
  const socket = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
  const port = socket.port;
  socket.close();
  return port;
}
