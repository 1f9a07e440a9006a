import assert from "node:assert/strict";
import { checkBroker } from "../../kafka/broker_probe.ts";
import { kafkaTest, TEST_BROKERS } from "../support/broker.ts";
import { settles } from "../support/wait.ts";

/** A port where nothing listens. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * A TCP server that does `answer` with each connection it accepts.
 *
 * @param answer What to do with a connection.
 * @returns Its address and a function that stops it and resolves once its connections ended.
 */
function server(answer: (conn: Deno.TcpConn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const handled: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) handled.push(answer(conn).catch(() => {}));
  })().catch(() => {});
  return {
    address: `127.0.0.1:${listener.addr.port}`,
    async close() {
      listener.close();
      await accepting;
      await Promise.all(handled);
    },
  };
}

/** Reads a request of the size its first four bytes give, and returns its correlation id. */
async function readRequest(conn: Deno.TcpConn): Promise<number> {
  const bytes = new Uint8Array(64);
  let got = 0;
  while (got < 4 || got < 4 + new DataView(bytes.buffer).getInt32(0)) {
    const n = await conn.read(bytes.subarray(got));
    if (n === null) throw new Error("closed");
    got += n;
  }
  return new DataView(bytes.buffer).getInt32(8);
}

/** An ApiVersions v0 answer's first 10 bytes: size, correlation id, error code. */
function answerHead(correlationId: number, errorCode = 0): Uint8Array {
  const head = new DataView(new ArrayBuffer(10));
  head.setInt32(0, 6);
  head.setInt32(4, correlationId);
  head.setInt16(8, errorCode);
  return new Uint8Array(head.buffer);
}

Deno.test("checkBroker() resolves when a server answers ApiVersions, after one that refuses", async () => {
  const broker = server(async (conn) => {
    await conn.write(answerHead(await readRequest(conn)));
    conn.close();
  });
  try {
    await checkBroker([`127.0.0.1:${closedPort()}`, broker.address], 2_000);
  } finally {
    await broker.close();
  }
});

Deno.test("checkBroker() names the last server and why it did not answer", async () => {
  const port = closedPort();
  await assert.rejects(checkBroker([`127.0.0.1:${port}`]), {
    message: `127.0.0.1:${port}: connection refused`,
  });
  await assert.rejects(checkBroker([]), { message: "no bootstrap server" });

  const closing = server(async (conn) => {
    await readRequest(conn);
    conn.close();
  });
  await assert.rejects(checkBroker([closing.address]), {
    message: `${closing.address}: connection closed`,
  });
  await closing.close();

  const other = server(async (conn) => {
    await readRequest(conn);
    await conn.write(answerHead(7));
    conn.close();
  });
  await assert.rejects(checkBroker([other.address]), {
    message: `${other.address}: not a Kafka broker`,
  });
  await other.close();

  const failing = server(async (conn) => {
    await conn.write(answerHead(await readRequest(conn), 35));
    conn.close();
  });
  await assert.rejects(checkBroker([failing.address]), {
    message: `${failing.address}: error 35`,
  });
  await failing.close();
});

Deno.test("checkBroker() gives up on a server that never answers within the time, and closes the connection", async () => {
  let closedByProbe = false;
  const silent = server(async (conn) => {
    const bytes = new Uint8Array(64);
    while ((await conn.read(bytes)) !== null) { /* read and never answer */ }
    closedByProbe = true;
    conn.close();
  });
  // The message is the time limit's; the test's own limit bounds a hang.
  await settles(
    assert.rejects(checkBroker([silent.address], 200), {
      message: `${silent.address}: no answer within 200 ms`,
    }),
    { message: "checkBroker() to give up on the silent server", timeoutMs: 15_000 },
  );
  // The server's connection ends only once the probe closes its own.
  await settles(silent.close(), {
    message: "the probe to close its connection",
    timeoutMs: 15_000,
  });
  assert.ok(closedByProbe, "the probe left its connection open");
});

kafkaTest("checkBroker() resolves against the test broker", async () => {
  await checkBroker(TEST_BROKERS.split(","));
});
