import assert from "node:assert/strict";
import { logSupervisorEvent } from "../../actors/producer_topology.ts";
import { tradeChildren } from "../../actors/trade_topology.ts";
import { loadProducerConfig } from "../../config/produce.ts";
import {
  type Delivery,
  DeliveryError,
  type OutRecord,
  type ProducerTransport,
} from "../../kafka/transport.ts";
import { Supervisor } from "../../runtime/supervisor.ts";
import { CoinbaseStub, type StubMatch } from "../support/coinbase_stub.ts";
import { captureLogs, type LoggedLine } from "../support/logs.ts";
import { freePort } from "../support/services.ts";

/**
 * A broker that acknowledges everything (while `away` is false) and keeps the records, in order;
 * `refused` counts the sends refused while away.
 */
function keepingTransport(): ProducerTransport & {
  records: OutRecord[];
  away: boolean;
  refused: number;
} {
  const records: OutRecord[] = [];
  let offset = 0;
  return {
    records,
    away: false,
    refused: 0,
    connect: () => Promise.resolve(),
    ensureTopic: () => Promise.resolve({ partitions: 3, created: false }),
    disconnect: () => Promise.resolve(),
    send(_topic: string, batch: readonly OutRecord[]): Promise<Delivery[]> {
      if (this.away) {
        this.refused++;
        return Promise.reject(new DeliveryError("Kafka is unavailable", { retriable: true }));
      }
      records.push(...batch);
      return Promise.resolve(batch.map((r) => ({ partition: r.partition, offset: `${offset++}` })));
    },
  };
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs the trade children against a feed URL until `body` is done, then stops them. */
async function withTrades(
  url: string,
  options: { products: string; staleAfter?: string; bufferSize?: string },
  body: (run: {
    records: OutRecord[];
    printed: string[];
    report: ReturnType<typeof tradeChildren>["report"];
    transport: ReturnType<typeof keepingTransport>;
  }) => Promise<void>,
): Promise<{ logs: LoggedLine[]; printed: string[]; summary: string[] }> {
  const config = loadProducerConfig(
    ["--source", "coinbase", "--products", options.products],
    (name) =>
      ({
        COINBASE_WS_URL: url,
        // The stand-in's REST API, on the same port, repairs the gaps.
        COINBASE_REST_URL: url.replace(/^ws:/, "http:"),
        COINBASE_STALE_AFTER: options.staleAfter ?? "5",
        PRODUCER_BUFFER_SIZE: options.bufferSize ?? "10000",
      })[name],
  )!;
  const transport = keepingTransport();
  const printed: string[] = [];
  let summary: string[] = [];
  const logs = await captureLogs(async () => {
    const topology = tradeChildren({
      config,
      transport,
      partitions: 3,
      print: (line) => printed.push(line),
      backoff: { minMs: 20, maxMs: 200 },
      tickMs: 100,
    });
    const supervisor = new Supervisor(topology.children, { onEvent: logSupervisorEvent });
    const running = supervisor.run();
    try {
      await body({ records: transport.records, printed, report: topology.report, transport });
    } finally {
      await supervisor.stop();
      await running;
    }
    summary = topology.report.summary();
  });
  return { logs, printed, summary };
}

const values = (records: readonly OutRecord[]) => records.map((r) => JSON.parse(r.value as string));

/** The §11 message expected for a match the stand-in sent. */
function expected(match: StubMatch) {
  return {
    symbol: match.product_id.split("-")[0],
    product_id: match.product_id,
    trade_id: match.trade_id,
    price: Number(match.price),
    size: Number(match.size),
    side: match.side,
    time: match.time,
    sequence: match.sequence,
    source: "coinbase",
  };
}

Deno.test("tradeSource() publishes each scripted trade once, in trade id order, as the trade message keyed by base currency", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 50 });
  try {
    const { printed, summary } = await withTrades(
      stub.url,
      { products: "BTC-USD,ETH-USD" },
      async ({ records, printed: shown }) => {
        await until("the subscription", () => stub.subscribed === 1);
        for (let i = 0; i < 20; i++) {
          stub.trade({ product: "BTC-USD", price: (45_000 + i).toFixed(2), size: "0.01000000" });
          stub.trade({ product: "ETH-USD", price: "3198.23", size: "1.5", side: "sell" });
        }
        await until("40 records", () => records.length === 40);
        const byProduct = (p: string) =>
          values(records).filter((v) => v.product_id === p).map(({ received_at, ...rest }) => {
            assert.ok(Date.parse(received_at) > 0, received_at);
            return rest;
          });
        assert.deepEqual(byProduct("BTC-USD"), stub.sent.get("BTC-USD")!.map(expected));
        assert.deepEqual(byProduct("ETH-USD"), stub.sent.get("ETH-USD")!.map(expected));
        const first = records[0]!;
        assert.equal(first.key, "BTC");
        assert.deepEqual(first.headers, {
          "content-type": "application/json",
          "schema": "crypto-trade/v1",
        });
        assert.deepEqual(Object.keys(JSON.parse(first.value as string)), [
          "symbol",
          "product_id",
          "trade_id",
          "price",
          "size",
          "side",
          "time",
          "sequence",
          "received_at",
          "source",
        ]);
        await until("a console line", () => shown.some((l) => l.startsWith("BTC-USD: ")));
      },
    );
    assert.ok(printed.includes("Subscribed to BTC-USD, ETH-USD: matches, heartbeat"));
    // One line per product per tick (100 ms here), never one per trade.
    const lines = printed.filter((l) => l.startsWith("BTC-USD: "));
    assert.ok(lines.length <= 3, lines.join("\n"));
    const counted = lines.map((l) =>
      /^BTC-USD: (\d+) trades?, last \$[\d,.]+, volume [\d.]+ BTC$/.exec(l)
    );
    assert.ok(counted.every((m) => m !== null), lines.join("\n"));
    assert.equal(counted.reduce((sum, m) => sum + Number(m![1]), 0), 20);
    assert.match(lines.at(-1)!, /last \$45,019\.00/);
    assert.ok(summary.includes("Trades published: 40"), summary.join("\n"));
    assert.ok(summary.includes("Messages produced: 40"));
    assert.ok(summary.includes("ETH-USD: 20 trades, volume 30 ETH, last $3,198.23"));
  } finally {
    await stub.close();
  }
});

Deno.test("tradeSource() reconnects after a dropped connection and publishes the trades replayed on resubscribing once", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 50 });
  try {
    let published: OutRecord[] = [];
    const { logs, summary } = await withTrades(
      stub.url,
      { products: "BTC-USD" },
      async ({ records }) => {
        published = records;
        await until("the subscription", () => stub.subscribed === 1);
        for (let i = 0; i < 5; i++) stub.trade({ product: "BTC-USD", price: "100", size: "1" });
        await until("5 records", () => records.length === 5);
        stub.replayOnReconnect(3);
        stub.drop();
        await until("the second subscription", () => stub.subscriptions.length === 2);
        await until("it to be subscribed again", () => stub.subscribed === 1);
        for (let i = 0; i < 5; i++) stub.trade({ product: "BTC-USD", price: "101", size: "1" });
        await until("10 records", () => records.length >= 10);
      },
    );
    // Stopped: all it ever published, each trade once.
    const ids = values(published).map((v) => v.trade_id);
    assert.deepEqual(ids, stub.sent.get("BTC-USD")!.map((m) => m.trade_id));
    // The last_match and the three replayed matches: four trades seen twice.
    assert.ok(summary.includes("Seen twice, published once: 4"), summary.join("\n"));
    assert.ok(summary.includes("Connections: 2"));
    const warnings = logs.filter((l) => l.level === "warning");
    assert.equal(warnings.length, 1, warnings.map((l) => l.text).join("\n"));
    assert.match(
      warnings[0]!.text,
      /^Coinbase feed: the feed closed the connection \(code 1011: stand-in dropped the connection\); reconnecting in 0\.0 s \(attempt 1\)$/,
    );
  } finally {
    await stub.close();
  }
});

Deno.test("tradeSource() takes a feed silent past COINBASE_STALE_AFTER as dead, heartbeats included, and reconnects", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 50 });
  try {
    const { logs, summary } = await withTrades(
      stub.url,
      { products: "BTC-USD", staleAfter: "0.4" },
      async ({ records }) => {
        await until("the subscription", () => stub.subscribed === 1);
        stub.trade({ product: "BTC-USD", price: "100", size: "1" });
        await until("1 record", () => records.length === 1);
        // Heartbeats every 50 ms keep a quiet feed alive well past the limit: sixteen of them
        // (twice the limit's worth) go by on the first connection.
        const beats = stub.heartbeatsSent;
        await until("16 heartbeats", () => stub.heartbeatsSent >= beats + 16);
        assert.equal(stub.connections, 1);
        stub.stall(5_000);
        await until("a new connection", () => stub.connections === 2, 3_000);
        await until("it to be subscribed again", () => stub.subscribed === 1);
        stub.trade({ product: "BTC-USD", price: "100", size: "1" });
        await until("2 records", () => records.length === 2);
      },
    );
    assert.ok(summary.includes("Silent feed, reconnected: 1"), summary.join("\n"));
    assert.ok(
      logs.some((l) =>
        /^Coinbase feed: no message from the feed for 0\.4 s; reconnecting in/.test(l.text)
      ),
      logs.map((l) => l.text).join("\n"),
    );
  } finally {
    await stub.close();
  }
});

Deno.test("tradeSource() counts and logs a gap in a product's trade ids, and publishes the trades around it", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 0 });
  try {
    const { logs, summary } = await withTrades(
      stub.url,
      { products: "BTC-USD,ETH-USD" },
      async ({ records }) => {
        await until("the subscription", () => stub.subscribed === 1);
        const before = stub.trade({ product: "BTC-USD", price: "100", size: "1" });
        stub.skip("BTC-USD", 3);
        const after = stub.trade({ product: "BTC-USD", price: "100", size: "1" });
        stub.trade({ product: "ETH-USD", price: "10", size: "1" });
        await until("3 records", () => records.length === 3);
        assert.equal(after.trade_id, before.trade_id + 4);
      },
    );
    assert.ok(summary.includes("Gaps in trade ids: 1 (3 missing)"), summary.join("\n"));
    const gap = logs.filter((l) => l.text.startsWith("Gap in"));
    assert.equal(gap.length, 1);
    assert.match(
      gap[0]!.text,
      /^Gap in BTC-USD trades: 3 trade id\(s\) missing between \d+ and \d+/,
    );
  } finally {
    await stub.close();
  }
});

Deno.test("tradeSource() skips malformed frames, logging them, and goes on", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 0 });
  try {
    const { logs, summary } = await withTrades(
      stub.url,
      { products: "BTC-USD" },
      async ({ records }) => {
        await until("the subscription", () => stub.subscribed === 1);
        const good = stub.trade({ product: "BTC-USD", price: "100", size: "1" });
        stub.raw("{not json");
        stub.raw("[1,2,3]");
        stub.raw(JSON.stringify({ ...good, trade_id: good.trade_id + 1, price: "-5" }));
        stub.raw(JSON.stringify({ ...good, trade_id: good.trade_id + 1, time: "yesterday" }));
        stub.raw(JSON.stringify({ type: "match", product_id: "BTC-USD" }));
        stub.raw(JSON.stringify({ type: "ticker", product_id: "BTC-USD" }));
        stub.trade({ product: "BTC-USD", price: "100", size: "1" });
        await until("2 records", () => records.length === 2);
      },
    );
    assert.ok(summary.includes("Malformed frames: 5"), summary.join("\n"));
    assert.ok(summary.includes("Gaps in trade ids: 0 (0 missing)"));
    const malformed = logs.filter((l) => l.text.includes("malformed"));
    assert.ok(malformed.length >= 1 && malformed.length <= 2, malformed.map((l) => l.text).join());
    assert.match(malformed[0]!.text, /^Skipped a malformed frame from the feed: not JSON: /);
  } finally {
    await stub.close();
  }
});

Deno.test("tradeSource() leaves out a product the feed refuses, once, and subscribes to the others", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 50 });
  stub.unknown.add("NOPE-USD");
  try {
    const { logs, summary } = await withTrades(
      stub.url,
      { products: "BTC-USD,NOPE-USD,ETH-USD" },
      async ({ records }) => {
        await until("the subscription", () => stub.subscribed === 1);
        stub.trade({ product: "ETH-USD", price: "10", size: "1" });
        await until("1 record", () => records.length === 1);
      },
    );
    // Stopped: what follows is all it did.
    assert.deepEqual(stub.subscriptions, [["BTC-USD", "NOPE-USD", "ETH-USD"], [
      "BTC-USD",
      "ETH-USD",
    ]]);
    const refused = logs.filter((l) => l.text.includes("refused"));
    assert.equal(refused.length, 1);
    assert.equal(
      refused[0]!.text,
      "Coinbase refused NOPE-USD (NOPE-USD is not a valid product); left out, subscribing to BTC-USD, ETH-USD",
    );
    assert.ok(summary.includes("Refused by the feed: NOPE-USD"), summary.join("\n"));
    assert.ok(summary.includes("Feed errors: 1"));
  } finally {
    await stub.close();
  }
});

Deno.test("tradeSource() logs one warning per retry while the feed is unreachable, waiting longer each time", async () => {
  const url = `ws://127.0.0.1:${freePort()}`;
  const { logs, summary } = await withTrades(url, { products: "BTC-USD" }, async ({ report }) => {
    await until("3 retries", () => report.totals.disconnects >= 3);
  });
  const retries = logs.filter((l) => l.text.startsWith("Coinbase feed: "));
  assert.ok(retries.length >= 3, retries.map((l) => l.text).join("\n"));
  assert.ok(retries.every((l) => l.level === "warning"));
  for (const [i, line] of retries.entries()) {
    assert.match(
      line.text,
      new RegExp(
        `^Coinbase feed: cannot connect to ${url}: tcp connect error; reconnecting in \\d+\\.\\d s \\(attempt ${
          i + 1
        }\\)$`,
      ),
    );
  }
  assert.equal(logs.length, retries.length, logs.map((l) => l.text).join("\n"));
  assert.ok(summary.includes("Connections: 0"));
  assert.ok(summary.includes(`Disconnections: ${retries.length}`));
});

Deno.test("tradeSource() reconnects with backoff after an error frame that names no product", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 50 });
  try {
    const { logs, summary } = await withTrades(stub.url, { products: "BTC-USD" }, async () => {
      await until("the subscription", () => stub.subscribed === 1);
      stub.raw(JSON.stringify({ type: "error", message: "Slow down", reason: "rate limited" }));
      await until("the resubscription", () => stub.subscriptions.length === 2);
    });
    assert.ok(
      logs.some((l) =>
        /^Coinbase feed: the feed answered "Slow down: rate limited"; reconnecting in/.test(l.text)
      ),
      logs.map((l) => l.text).join("\n"),
    );
    assert.ok(summary.includes("Feed errors: 1"), summary.join("\n"));
  } finally {
    await stub.close();
  }
});

Deno.test("tradeSource() keeps reading while the broker is away: the full buffer drops the oldest trades, counted and logged once a tick, and the rest are delivered when it returns", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 0 });
  try {
    const { logs, summary } = await withTrades(
      stub.url,
      { products: "BTC-USD", bufferSize: "5" },
      async ({ records, transport, report }) => {
        await until("the subscription", () => stub.subscribed === 1);
        transport.away = true;
        for (let i = 0; i < 30; i++) stub.trade({ product: "BTC-USD", price: "100", size: "1" });
        await until("30 trades read", () => report.totals.published === 30);
        // Kafka stays away until the publisher has been refused again after the last trade.
        const refused = transport.refused;
        await until("a send refused after the last trade", () => transport.refused > refused);
        transport.away = false;
        await until("the rest delivered", () => report.pending === 0, 15_000);
        const ids = values(records).map((v) => v.trade_id);
        const sent = stub.sent.get("BTC-USD")!.map((m) => m.trade_id);
        // Whatever was delivered went out in order, and the newest were kept.
        assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
        assert.equal(ids.at(-1), sent.at(-1));
        assert.equal(report.totals.dropped + report.totals.produced, 30);
        assert.ok(report.totals.dropped >= 20, `${report.totals.dropped} dropped`);
      },
    );
    const drops = logs.filter((l) => l.text.startsWith("Buffer full"));
    assert.ok(drops.length >= 1 && drops.length <= 3, drops.map((l) => l.text).join("\n"));
    assert.match(summary.join("\n"), /^Dropped \(buffer full\): \d+$/m);
  } finally {
    await stub.close();
  }
});
