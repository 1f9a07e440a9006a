import assert from "node:assert/strict";
import { BackfillReport } from "../../report/backfill_report.ts";
import { FakeClock } from "../support/fake_clock.ts";

const T = Date.UTC(2025, 10, 12, 9, 0, 0);

Deno.test("BackfillReport.progress() prints a line per market each time its count passes a thousand, or after 5 s", async () => {
  const clock = new FakeClock(T);
  const lines: string[] = [];
  const report = new BackfillReport((line) => lines.push(line), clock, "trades");
  report.progress("BTC-USD", 600, T + 1_000);
  report.progress("ETH-USD", 999, T + 1_000);
  report.progress("BTC-USD", 600, T + 2_000);
  report.progress("BTC-USD", 500, T + 3_000);
  assert.deepEqual(lines, ["Backfill BTC-USD: 1,200 trades, up to 2025-11-12T09:00:02Z"]);
  await clock.sleep(5_000);
  report.progress("ETH-USD", 1, T + 4_000);
  assert.deepEqual(lines.slice(1), ["Backfill ETH-USD: 1,000 trades, up to 2025-11-12T09:00:04Z"]);
  await clock.sleep(5_000);
  report.progress("BTC-USD", 1, T + 5_000);
  assert.deepEqual(lines.slice(2), ["Backfill BTC-USD: 1,701 trades, up to 2025-11-12T09:00:05Z"]);
  assert.equal(report.total, 2_701);
});

Deno.test("BackfillReport.done() prints the market's count, span and time, and why it stopped early", async () => {
  const clock = new FakeClock(T);
  const lines: string[] = [];
  const report = new BackfillReport((line) => lines.push(line), clock, "prices");
  report.progress("BTC (bitcoin)", 1, T - 3_600_000);
  report.progress("BTC (bitcoin)", 11, T, T - 3_300_000);
  await clock.sleep(1_500);
  report.done("BTC (bitcoin)");
  report.done("ETH (ethereum)", "CoinGecko answered HTTP 404: coin not found");
  assert.deepEqual(lines, [
    "Backfill BTC (bitcoin): 12 prices from 2025-11-12T08:00:00Z to 2025-11-12T09:00:00Z in 1.5 s, done",
    "Backfill ETH (ethereum): 0 prices in 0.0 s; stopped: CoinGecko answered HTTP 404: coin not found",
  ]);
});
