import assert from "node:assert/strict";
import { startHttpServer } from "../../http/server.ts";
import { LiveHub } from "../../http/live_hub.ts";
import { NO_PIPELINE } from "../../http/pipeline_snapshot.ts";
import type { LatestPrice } from "../../market/latest_price.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { alert, candle, NOW } from "./support.ts";
import { SseReader } from "./sse.ts";

const price = (priceUsd: number, symbol = "BTC"): LatestPrice => ({
  source: "coingecko",
  product: `${symbol}-USD`,
  symbol,
  priceUsd,
  volume24h: null,
  marketCap: null,
  priceChange24h: null,
  eventTime: NOW,
});

async function withServer(
  hub: LiveHub,
  body: (base: string, port: number) => Promise<void>,
): Promise<void> {
  const store = SqliteCandleStore.open(":memory:");
  const server = await startHttpServer({
    config: { hostname: "127.0.0.1", port: 0, token: null },
    store,
    hub,
    pipeline: () => NO_PIPELINE,
    readiness: {},
    pipelineEveryMs: 0,
  });
  try {
    await body(`http://127.0.0.1:${server.addr.port}`, server.addr.port);
  } finally {
    await server.shutdown();
    await store.close();
  }
}

/** This process's open descriptors (Deno reads /proc/self only with --allow-all; bash may). */
function openDescriptors(): number {
  const out = new Deno.Command("bash", {
    args: ["-c", `ls /proc/${Deno.pid}/fd | wc -l`],
    stdout: "piped",
  }).outputSync();
  // The pipe to bash is open while it counts: one more than the program holds.
  return Number(new TextDecoder().decode(out.stdout).trim()) - 1;
}

async function until(test: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** Connects and asks for the stream over a raw socket; resolves once the stream has begun. */
async function rawClient(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      `GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`,
    ),
  );
  const buffer = new Uint8Array(4096);
  let text = "";
  while (!text.includes("retry:")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("closed before the stream began");
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return conn;
}

const quiet = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "GET /api/v1/stream: a client reconnecting with Last-Event-ID gets the events it missed",
  ...quiet,
  fn: async () => {
    const hub = new LiveHub({ bootId: "s" });
    await withServer(hub, async (base) => {
      const first = await fetch(`${base}/api/v1/stream?symbols=BTC`);
      assert.equal(first.status, 200);
      assert.match(first.headers.get("content-type") ?? "", /^text\/event-stream/);
      const reader = new SseReader(first.body!);
      hub.publish({ type: "price", price: price(1) });
      hub.publish({ type: "price", price: price(2) });
      const seen = [await reader.next(), await reader.next()];
      assert.deepEqual(seen.map((e) => e.data.price_usd), [1, 2]);
      await reader.cancel();
      assert.ok(await until(() => hub.stats.clients === 0, 2000), "the server let the client go");

      // While the client is away: three BTC prices and one ETH price it did not ask for.
      for (const n of [3, 4, 5]) hub.publish({ type: "price", price: price(n) });
      hub.publish({ type: "price", price: price(9, "ETH") });

      const again = await fetch(`${base}/api/v1/stream?symbols=BTC`, {
        headers: { "last-event-id": seen[1]!.id! },
      });
      const resumed = new SseReader(again.body!);
      const missed = [await resumed.next(), await resumed.next(), await resumed.next()];
      assert.deepEqual(missed.map((e) => e.data.price_usd), [3, 4, 5]);
      hub.publish({ type: "price", price: price(6) });
      assert.equal((await resumed.next()).data.price_usd, 6);
      await resumed.cancel();
    });
  },
});

Deno.test({
  name:
    "GET /api/v1/stream?markets=: only those markets' events, each naming its source and product",
  ...quiet,
  fn: async () => {
    const hub = new LiveHub({ bootId: "k" });
    await withServer(hub, async (base) => {
      const response = await fetch(`${base}/api/v1/stream?markets=coinbase:btc-eur`);
      assert.equal(response.status, 200);
      const reader = new SseReader(response.body!);
      hub.publish({ type: "price", price: price(45_000) });
      hub.publish({
        type: "price",
        price: { ...price(41_000), source: "coinbase", product: "BTC-EUR" },
      });
      hub.publish({ type: "candle", candle: candle("coinbase:BTC-EUR", "1m", NOW) });
      hub.publish({ type: "alert", alert: alert("coinbase:BTC-EUR", NOW) });
      const seen = [await reader.next(), await reader.next(), await reader.next()];
      assert.deepEqual(
        seen.map((e) => [e.event, e.data.source, e.data.product, e.data.symbol]),
        [
          ["price", "coinbase", "BTC-EUR", "BTC"],
          ["candle", "coinbase", "BTC-EUR", "BTC"],
          ["alert", "coinbase", "BTC-EUR", "BTC"],
        ],
      );
      assert.equal(seen[0]!.data.price_usd, 41_000);
      await reader.cancel();
    });
  },
});

Deno.test({
  name:
    "GET /api/v1/stream: 500 clients connected and dropped, three times, leave the descriptors as they were",
  ...quiet,
  fn: async () => {
    const hub = new LiveHub();
    await withServer(hub, async (_base, port) => {
      // One client first, so the server's lazily made resources exist before counting.
      (await rawClient(port)).close();
      await until(() => hub.stats.clients === 0, 2000);
      const before = openDescriptors();
      for (let round = 0; round < 3; round++) {
        const clients: Deno.TcpConn[] = [];
        for (let i = 0; i < 500; i++) clients.push(await rawClient(port));
        assert.equal(hub.stats.clients, 500);
        hub.publish({ type: "price", price: price(round + 1) });
        for (const client of clients) client.close();
        assert.ok(
          await until(() => hub.stats.clients === 0, 10_000),
          `${hub.stats.clients} clients still held after round ${round + 1}`,
        );
      }
      // Back to the count before: none of the 1,500 sockets is held. (Only a hang is bounded: the
      // count may move by a few afterwards with the runtime's own descriptors, which are not the
      // server's.)
      assert.ok(
        await until(() => openDescriptors() <= before, 10_000),
        `descriptors: ${before} before, ${openDescriptors()} after`,
      );
    });
  },
});

Deno.test({
  name: "GET /api/v1/stream: a client that stops reading is dropped and its socket closed",
  ...quiet,
  fn: async () => {
    const hub = new LiveHub({ clientQueue: 256 });
    await withServer(hub, async (_base, port) => {
      const slow = await rawClient(port);
      const fast = new SseReader((await fetch(`http://127.0.0.1:${port}/api/v1/stream`)).body!);
      let received = 0;
      const reading = (async () => {
        try {
          for (;;) {
            await fast.next(2000);
            received++;
          }
        } catch {
          // cancelled at the end
        }
      })();
      let published = 0;
      // Publish until the socket buffers are full and the slow client's queue overflows.
      while (hub.stats.dropped === 0 && published < 200_000) {
        hub.publish({ type: "price", price: price(++published, "B".repeat(60)) });
        if (published % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      assert.equal(hub.stats.dropped, 1, "the slow client was dropped");
      assert.equal(hub.stats.clients, 1, "the fast client is still there");
      // The server closed the slow client's connection: reading ends (after what was buffered).
      const drained = (async () => {
        const buffer = new Uint8Array(1 << 16);
        while ((await slow.read(buffer)) !== null) {
          // drain
        }
      })();
      assert.ok(
        await Promise.race([
          drained.then(() => true, () => true),
          new Promise((resolve) => setTimeout(() => resolve(false), 5000)),
        ]),
        "the slow client's connection was closed",
      );
      slow.close();
      assert.ok(await until(() => received === published, 10_000), "the fast client got all");
      await fast.cancel();
      await reading;
    });
  },
});
