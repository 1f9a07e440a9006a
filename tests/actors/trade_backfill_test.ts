import assert from "node:assert/strict";
import { backfillProducts } from "../../actors/trade_backfill.ts";
import type { EncodedTrade, TradeMessage } from "../../market/messages/trade_message.ts";
import { TradeSequences } from "../../market/trade_sequence.ts";
import { BackfillReport } from "../../report/backfill_report.ts";
import { CoinbaseRestClient } from "../../sources/coinbase_rest.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { FakeExchange } from "../support/fake_exchange.ts";
import { captureLogs } from "../support/logs.ts";

const NOW = Date.UTC(2025, 10, 12, 10, 0, 0);

Deno.test("backfillProducts() publishes each product's trades of the span oldest first, as the feed's messages, into the ids seen; a product without trades gives none", async () => {
  const clock = new FakeClock(NOW);
  const exchange = new FakeExchange(clock);
  exchange.add("BTC-USD", {
    firstId: 100,
    count: 3_000,
    startMs: NOW - 3_000 * 2_000,
    stepMs: 2_000,
  });
  exchange.add("ETH-USD", { firstId: 7, count: 10, startMs: NOW - 10_000, stepMs: 1_000 });
  const rest = new CoinbaseRestClient(
    { baseUrl: "https://rest.example", timeoutMs: 1_000, maxRetries: 0, maxRetryAfterMs: 1_000 },
    { fetch: exchange.fetch, clock, random: () => 0 },
  );
  const sequences = new TradeSequences();
  const published: EncodedTrade[] = [];
  const counted: TradeMessage[] = [];
  const lines: string[] = [];
  const logs = await captureLogs(async () => {
    await backfillProducts({
      rest,
      products: ["BTC-USD", "NOPE-USD", "ETH-USD"],
      spanMs: 3_600_000,
      sequences,
      counts: { backfilled: (trade) => counted.push(trade) },
      progress: new BackfillReport((line) => lines.push(line), clock, "trades"),
      clock,
      publish: (trades) => {
        published.push(...trades);
        return Promise.resolve();
      },
    }, AbortSignal.timeout(10_000));
  });
  const btc = published.filter((t) => t.trade.product_id === "BTC-USD").map((t) => t.trade);
  // One trade every 2 s: the last hour is the newest 1,800 (the span starts at the clock's start).
  assert.equal(btc.length, 1_800);
  assert.deepEqual(btc.map((t) => t.trade_id), Array.from({ length: 1_800 }, (_, i) => 1_300 + i));
  assert.ok(btc.every((t) => t.sequence === null && t.source === "coinbase" && t.symbol === "BTC"));
  assert.equal(published.filter((t) => t.trade.product_id === "ETH-USD").length, 10);
  assert.equal(counted.length, published.length);
  assert.equal(sequences.last("BTC-USD"), 3_099);
  assert.equal(sequences.accept("BTC-USD", 3_099).kind, "repeat");
  assert.ok(
    lines.some((l) => /^Backfill BTC-USD: 1,800 trades from \S+ to \S+ in [\d.]+ s, done$/.test(l)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => /^Backfill NOPE-USD: 0 trades in [\d.]+ s, done$/.test(l)),
    lines.join("\n"),
  );
  assert.equal(logs.filter((l) => l.level === "warning").length, 0);
});

Deno.test("backfillProducts() stops a product at an answer that is not a page, with one warning, and goes on with the next", async () => {
  const clock = new FakeClock(NOW);
  const exchange = new FakeExchange(clock);
  exchange.add("ETH-USD", { firstId: 7, count: 10, startMs: NOW - 10_000, stepMs: 1_000 });
  exchange.script.push({ body: "<html><title>Maintenance</title></html>" });
  const rest = new CoinbaseRestClient(
    { baseUrl: "https://rest.example", timeoutMs: 1_000, maxRetries: 0, maxRetryAfterMs: 1_000 },
    { fetch: exchange.fetch, clock },
  );
  const lines: string[] = [];
  let published = 0;
  const logs = await captureLogs(async () => {
    await backfillProducts({
      rest,
      products: ["BTC-USD", "ETH-USD"],
      spanMs: 3_600_000,
      sequences: new TradeSequences(),
      counts: { backfilled: () => {} },
      progress: new BackfillReport((line) => lines.push(line), clock, "trades"),
      clock,
      publish: (trades) => {
        published += trades.length;
        return Promise.resolve();
      },
    }, AbortSignal.timeout(10_000));
  });
  assert.equal(published, 10);
  const warnings = logs.filter((l) => l.level === "warning");
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!.text,
    /^Backfill of BTC-USD stopped: Coinbase REST BTC-USD trades: HTTP 200 with a body that is not JSON \(text\/html\): Maintenance; going on with the live feed$/,
  );
  assert.match(lines[0]!, /^Backfill BTC-USD: 0 trades in 0\.\d s; stopped: Coinbase REST/);
});
