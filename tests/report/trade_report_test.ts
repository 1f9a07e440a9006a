import assert from "node:assert/strict";
import { formatQuote, TradeReport } from "../../report/trade_report.ts";
import { encodeTrade, type TradeMessage } from "../../market/messages/trade_message.ts";
import { captureLogs } from "../support/logs.ts";
import { FakeClock } from "../support/fake_clock.ts";

const trade = (product: string, id: number, price: number, size: number): TradeMessage => ({
  symbol: product.split("-")[0]!,
  product_id: product,
  trade_id: id,
  price,
  size,
  side: "buy",
  time: "2025-11-12T10:30:00.000000Z",
  sequence: id,
  received_at: "2025-11-12T10:30:00.005Z",
  source: "coinbase",
});

Deno.test("TradeReport.tick() prints one line per product that traded since the last tick, none for a quiet one", () => {
  const printed: string[] = [];
  const report = new TradeReport((line) => printed.push(line), new FakeClock());
  const none = { missing: 0, after: null };
  report.trade(trade("BTC-USD", 1, 45_000, 0.5), none);
  report.trade(trade("BTC-USD", 2, 45_010.5, 0.25), none);
  report.trade(trade("ETH-EUR", 1, 2_900.125, 2), none);
  report.tick();
  report.tick();
  report.trade(trade("BTC-USD", 3, 45_020, 1), none);
  report.tick();
  assert.deepEqual(printed, [
    "BTC-USD: 2 trades, last $45,010.50, volume 0.75 BTC",
    "ETH-EUR: 1 trade, last €2,900.13, volume 2 ETH",
    "BTC-USD: 1 trade, last $45,020.00, volume 1 BTC",
  ]);
});

Deno.test("TradeReport.summary() gives the counts, the deliveries and each product's totals", () => {
  const report = new TradeReport(() => {}, new FakeClock());
  report.subscribed(["BTC-USD"]);
  const first = trade("BTC-USD", 1, 100, 1);
  report.trade(first, { missing: 0, after: null });
  report.repeat("BTC-USD", 1);
  report.trade(trade("BTC-USD", 5, 102, 2), { missing: 3, after: 1 });
  const closed = "the feed closed the connection (code 1006)";
  report.disconnected({ reason: closed, stale: false, waitMs: 500, attempt: 1 });
  report.disconnected({
    reason: "no message from the feed for 30 s",
    stale: true,
    waitMs: 500,
    attempt: 1,
  });
  report.delivered(encodeTrade(first), { partition: 0, offset: "0" });
  report.dropped(encodeTrade(first));
  assert.deepEqual(report.summary(), [
    "",
    "==========================================",
    "Trade producer summary",
    "==========================================",
    "Connections: 1",
    "Disconnections: 2",
    "Silent feed, reconnected: 1",
    "Trades received: 3",
    "Seen twice, published once: 1",
    "Gaps in trade ids: 1 (3 missing)",
    "Repaired from REST: 0 (lost: 0)",
    "Malformed frames: 0",
    "Trades published: 2",
    "Messages produced: 1",
    "Dropped (buffer full): 1",
    "BTC-USD: 2 trades, volume 3 BTC, last $102.00",
  ]);
  assert.equal(report.pending, 0);
});

Deno.test("TradeReport counts trades repaired and backfilled from REST as published, in their product's totals, and the ids lost", () => {
  const printed: string[] = [];
  const report = new TradeReport((line) => printed.push(line), new FakeClock());
  report.backfilled({ ...trade("BTC-USD", 1, 99, 1), sequence: null });
  report.backfilled({ ...trade("BTC-USD", 2, 100, 1), sequence: null });
  report.trade(trade("BTC-USD", 6, 103, 1), { missing: 3, after: 2 });
  report.repaired({ ...trade("BTC-USD", 3, 101, 0.5), sequence: null });
  report.repaired({ ...trade("BTC-USD", 4, 102, 0.5), sequence: null });
  report.lost(1);
  report.tick();
  // The second's line is the feed's; the totals take every trade, the last price the feed's.
  assert.deepEqual(printed, ["BTC-USD: 1 trade, last $103.00, volume 1 BTC"]);
  const summary = report.summary();
  assert.ok(summary.includes("Repaired from REST: 2 (lost: 1)"), summary.join("\n"));
  assert.ok(summary.includes("Backfilled from REST: 2"));
  assert.ok(summary.includes("Trades published: 5"));
  assert.ok(summary.includes("Trades received: 1"));
  assert.ok(summary.includes("BTC-USD: 5 trades, volume 4 BTC, last $103.00"));
  assert.equal(report.pending, 5);
});

Deno.test("TradeReport logs malformed frames at most once a second and drops once a tick, with their counts", async () => {
  const clock = new FakeClock();
  const logs = await captureLogs(() => {
    const report = new TradeReport(() => {}, clock);
    for (let i = 0; i < 5; i++) report.malformed("not JSON");
    for (let i = 0; i < 3; i++) report.dropped(encodeTrade(trade("BTC-USD", i, 1, 1)));
    report.tick();
    report.tick();
  });
  assert.deepEqual(logs.map((l) => l.text), [
    "Skipped a malformed frame from the feed: not JSON (malformed so far: 1)",
    "Skipped 4 more malformed frame(s) (malformed so far: 5)",
    "Buffer full while Kafka is unavailable: dropped 3 trade(s), the oldest first (dropped so far: 3)",
  ]);
});

Deno.test("formatQuote() shows a quote currency by its sign when it has one, else by its code", () => {
  assert.equal(formatQuote(0.000012345, "SHIB-USD"), "$0.000012345");
  assert.equal(formatQuote(0.05123, "ETH-BTC"), "0.05123 BTC");
  assert.equal(formatQuote(46_137.9, "BTC-EUR"), "€46,137.90");
  assert.equal(formatQuote(7_000_000, "BTC-JPY"), "¥7,000,000.00");
});
