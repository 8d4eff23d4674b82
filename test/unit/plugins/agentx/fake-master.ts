/**
 * A scriptable AgentX master on a Unix socket, for session tests: it speaks
 * the real codec, answers Open/Register/Ping/Close like net-snmp (unless told
 * otherwise) and records every PDU it receives, per connection.
 *
 * @module
 */
import type { Socket, UnixSocketListener } from "bun";
import { decodePdu, encodePdu, PduFramer } from "../../../../plugins/agentx/protocol/index.ts";
import { type Pdu, PduType, ResponseError } from "../../../../plugins/agentx/protocol/types.ts";

/** What the master received on one connection. */
export interface MasterConnection {
  readonly id: number;
  readonly received: Pdu[];
  socket: Socket<undefined>;
  closed: boolean;
}

/** A fake master; `behaviour` may be changed while running. */
export class FakeMaster {
  readonly connections: MasterConnection[] = [];
  /** res.error for Open / Register (a queue: first entries used first, then 0). */
  readonly openErrors: number[] = [];
  readonly registerErrors: number[] = [];
  /** Do not answer Pings (a hung master). */
  ignorePings = false;
  #listener: UnixSocketListener<undefined>;
  #nextSession = 40;

  constructor(readonly path: string) {
    const framers = new WeakMap<Socket<undefined>, { framer: PduFramer; conn: MasterConnection }>();
    this.#listener = Bun.listen({
      unix: path,
      socket: {
        open: (socket) => {
          const conn: MasterConnection = { id: this.connections.length, received: [], socket, closed: false };
          this.connections.push(conn);
          framers.set(socket, { framer: new PduFramer(), conn });
        },
        data: (socket, chunk) => {
          const entry = framers.get(socket)!;
          entry.framer.push(chunk);
          for (let bytes = entry.framer.next(); bytes !== null; bytes = entry.framer.next()) {
            const pdu = decodePdu(bytes);
            entry.conn.received.push(pdu);
            this.#autoAnswer(entry.conn, pdu);
          }
        },
        close: (socket) => {
          const entry = framers.get(socket);
          if (entry) entry.conn.closed = true;
        },
      },
    });
  }

  #autoAnswer(conn: MasterConnection, pdu: Pdu): void {
    const answer = (error: number, sessionId = pdu.sessionId) =>
      this.send(conn, {
        type: PduType.Response,
        flags: pdu.flags & 0x10,
        sessionId,
        transactionId: pdu.transactionId,
        packetId: pdu.packetId,
        sysUpTime: 1234,
        error,
        index: 0,
        varbinds: [],
      });
    switch (pdu.type) {
      case PduType.Open:
        answer(this.openErrors.shift() ?? ResponseError.NoError, ++this.#nextSession);
        break;
      case PduType.Register:
        answer(this.registerErrors.shift() ?? ResponseError.NoError);
        break;
      case PduType.Ping:
        if (!this.ignorePings) answer(ResponseError.NoError);
        break;
      case PduType.Close:
        answer(ResponseError.NoError);
        break;
    }
  }

  /** The newest connection. */
  get last(): MasterConnection {
    const conn = this.connections.at(-1);
    if (!conn) throw new Error("no subagent connected yet");
    return conn;
  }

  /** Send a PDU to the subagent on `conn`. */
  send(conn: MasterConnection, pdu: Pdu): void {
    conn.socket.write(encodePdu(pdu));
  }

  /** Send raw bytes to the subagent on `conn`. */
  sendBytes(conn: MasterConnection, bytes: Uint8Array): void {
    conn.socket.write(bytes);
  }

  /** PDUs of `type` received on `conn`. */
  receivedOf(conn: MasterConnection, type: number): Pdu[] {
    return conn.received.filter((p) => p.type === type);
  }

  /** Stop listening and drop every connection. */
  stop(): void {
    for (const c of this.connections) c.socket.end();
    this.#listener.stop(true);
  }
}
