/**
 * The PostgreSQL client the store uses (postgres 3.4.9 in vendor/postgres, patched) when the server
 * cuts the connection in the middle of a transaction, as `pg_ctl stop -m fast` or a restart does.
 * A stand-in server speaks just enough of the protocol: it takes the start-up and the transaction's
 * BEGIN, then closes the connection. The client's next write finds no socket: unpatched, it threw
 * from a timer and ended the process (exit 1, nothing to catch); now the transaction is refused
 * with CONNECTION_CLOSED, which the store retries like any lost connection.
 */
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import postgres from "postgres";

const text = new TextEncoder();

/** One protocol message: its type, its length, its body. */
function message(type: string, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(5 + length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + length);
  let at = 5;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function int32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value);
  return out;
}

/** A server that accepts a connection and one statement, answers it as BEGIN, and goes away. */
async function cuttingServer(): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    let started = false;
    socket.on("data", () => {
      if (!started) {
        started = true;
        // AuthenticationOk, BackendKeyData, ReadyForQuery (idle).
        socket.write(message("R", int32(0)));
        socket.write(message("K", int32(1), int32(2)));
        socket.write(message("Z", text.encode("I")));
        return;
      }
      // CommandComplete "BEGIN", ReadyForQuery (in a transaction), and the connection is cut.
      socket.write(message("C", text.encode("BEGIN\0")));
      socket.write(message("Z", text.encode("T")));
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

Deno.test("postgres client: a connection cut inside a transaction refuses the transaction with CONNECTION_CLOSED, and the program goes on", async () => {
  const server = await cuttingServer();
  const sql = postgres({
    host: "127.0.0.1",
    port: server.port,
    user: "crypto",
    database: "crypto",
    fetch_types: false,
    max: 1,
    onnotice: () => {},
  });
  try {
    const outcome = await sql.begin(async (tx) => {
      // Long enough for the cut to be seen before the next statement is written.
      await new Promise((resolve) => setTimeout(resolve, 200));
      // A statement over 1 KiB, as a part of a candle write is: written at once.
      return await tx.unsafe(`SELECT '${"x".repeat(2000)}'`);
    }).then(() => "committed", (error: Error & { code?: string }) => error.code);
    assert.equal(outcome, "CONNECTION_CLOSED");
    // Nothing left to throw from a timer afterwards: the test ends with no uncaught error.
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    await sql.end({ timeout: 1 });
    server.close();
  }
});
