import assert from "node:assert/strict";
import { backfillTrades } from "../../sources/backfill_trades.ts";
import { CoinbaseRestClient } from "../../sources/coinbase_rest.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { FakeExchange } from "../support/fake_exchange.ts";

const NOW = Date.UTC(2025, 10, 12, 10, 0, 0);

function setup(count: number, stepMs: number) {
  const clock = new FakeClock(NOW);
  const exchange = new FakeExchange(clock);
  exchange.add("BTC-USD", { firstId: 500_000, count, startMs: NOW - count * stepMs, stepMs });
  const client = new CoinbaseRestClient(
    { baseUrl: "https://rest.example", timeoutMs: 1000, maxRetries: 3, maxRetryAfterMs: 10_000 },
    { fetch: exchange.fetch, clock, random: () => 0 },
  );
  return { exchange, client };
}

async function collect(generator: AsyncGenerator<{ tradeId: number; timeMs: number }[]>) {
  const batches: { tradeId: number; timeMs: number }[][] = [];
  for await (const batch of generator) batches.push(batch);
  return batches;
}

Deno.test("backfillTrades() gives every trade of the span once, oldest first, in pages of at most 1,000, finding the span's start in a few requests", async () => {
  // 40,000 trades, one every 300 ms: 3 h 20 min; the last hour is 12,000 of them.
  const { exchange, client } = setup(40_000, 300);
  const since = NOW - 3_600_000;
  const batches = await collect(backfillTrades(client, "BTC-USD", { since }));
  const ids = batches.flat().map((t) => t.tradeId);
  const want = exchange.trades.get("BTC-USD")!.filter((t) => Date.parse(t.time) >= since)
    .map((t) => t.trade_id);
  assert.equal(want.length, 12_000);
  assert.deepEqual(ids, want);
  assert.ok(batches.every((b) => b.length <= 1000));
  // The newest page, the search for the start, and 12 or 13 pages of a thousand.
  const probes = exchange.requests.filter((r) => r.url.searchParams.get("limit") === "1").length;
  assert.ok(probes <= 2 * Math.ceil(Math.log2(40)) + 2, `${probes} one-trade requests`);
  assert.ok(exchange.requests.length - probes <= 1 + 13, `${exchange.requests.length} requests`);
});

Deno.test("backfillTrades() reads a span within the newest page with one request", async () => {
  const { exchange, client } = setup(5_000, 1000);
  const batches = await collect(backfillTrades(client, "BTC-USD", { since: NOW - 60_000 }));
  assert.deepEqual(
    batches.flat().map((t) => t.tradeId),
    Array.from({ length: 60 }, (_, i) => 504_940 + i),
  );
  assert.equal(exchange.requests.length, 1);
});

Deno.test("backfillTrades() starts at the oldest trade REST keeps when the span reaches further back", async () => {
  const { exchange, client } = setup(5_000, 1000);
  exchange.oldest = 502_345;
  const batches = await collect(backfillTrades(client, "BTC-USD", { since: NOW - 86_400_000 }));
  const ids = batches.flat().map((t) => t.tradeId);
  assert.equal(ids[0], 502_345);
  assert.equal(ids.at(-1), 504_999);
  assert.equal(ids.length, 504_999 - 502_345 + 1);
});

Deno.test("backfillTrades() gives nothing for a product without trades", async () => {
  const { client } = setup(10, 1000);
  assert.deepEqual(await collect(backfillTrades(client, "ETH-USD", { since: NOW - 60_000 })), []);
});
