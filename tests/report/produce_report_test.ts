import assert from "node:assert/strict";
import { type EncodedPrice, encodePrice } from "../../market/messages/price_message.ts";
import type { PriceTick } from "../../market/price_tick.ts";
import { ProduceReport } from "../../report/produce_report.ts";
import { FakeClock } from "../support/fake_clock.ts";

const START = Date.UTC(2025, 10, 12, 10, 30, 45);

function message(symbol: string, coinId: string, priceUsd: number, cycle: number): EncodedPrice {
  const tick: PriceTick = {
    coinId,
    symbol,
    priceUsd,
    volume24h: null,
    marketCap: null,
    change24h: null,
    lastUpdated: null,
    fetchedAt: START,
    cycle,
  };
  return encodePrice(tick, `${symbol}-${START}`);
}

function reportOn(clock: FakeClock): { report: ProduceReport; lines: string[] } {
  const lines: string[] = [];
  return { report: new ProduceReport((line) => lines.push(line), clock), lines };
}

Deno.test("ProduceReport prints the iteration lines once both messages are delivered", async () => {
  const clock = new FakeClock(START);
  const { report, lines } = reportOn(clock);
  const btc = message("BTC", "bitcoin", 45234.56, 1);
  const eth = message("ETH", "ethereum", 3198.23, 1);

  report.cycleStarted(1);
  report.fetched(btc.tick);
  report.fetched(eth.tick);
  report.cycleFetched(1, 2, START + 10_000);
  await clock.sleep(1_000);
  report.delivered(btc, { partition: 1, offset: "0" });
  assert.ok(!lines.some((l) => l.startsWith("Iteration 1")), "not complete after one of two");
  await clock.sleep(230);
  report.delivered(eth, { partition: 0, offset: "0" });

  assert.deepEqual(lines, [
    "",
    "--- Iteration 1 ---",
    "Produced: BTC $45,234.56 to partition 1 at offset 0",
    "Produced: ETH $3,198.23 to partition 0 at offset 0",
    "Iteration 1 completed in 1.23s",
    "Total messages produced: 2, Errors: 0",
    "Waiting 8.77s until next fetch...",
  ]);
});

Deno.test("ProduceReport completes an iteration whose messages were delivered before it was fetched", async () => {
  const clock = new FakeClock(START);
  const { report, lines } = reportOn(clock);
  const btc = message("BTC", "bitcoin", 45234.56, 1);
  const eth = message("ETH", "ethereum", 3198.23, 1);

  report.cycleStarted(1);
  report.fetched(btc.tick);
  report.delivered(btc, { partition: 1, offset: "0" });
  report.fetched(eth.tick);
  report.delivered(eth, { partition: 0, offset: "7" });
  assert.ok(!lines.some((l) => l.startsWith("Iteration 1")), "not complete before fetched");
  await clock.sleep(500);
  report.cycleFetched(1, 2, START + 10_000);

  assert.deepEqual(lines.slice(2), [
    "Produced: BTC $45,234.56 to partition 1 at offset 0",
    "Produced: ETH $3,198.23 to partition 0 at offset 7",
    "Iteration 1 completed in 0.50s",
    "Total messages produced: 2, Errors: 0",
    "Waiting 9.50s until next fetch...",
  ]);
});

Deno.test("ProduceReport prints no Waiting line after the last iteration", () => {
  const clock = new FakeClock(START);
  const { report, lines } = reportOn(clock);
  const btc = message("BTC", "bitcoin", 0.000012345, 3);

  report.cycleStarted(3);
  report.fetched(btc.tick);
  report.cycleFetched(3, 1, null);
  report.delivered(btc, { partition: 2, offset: "41" });

  assert.deepEqual(lines, [
    "",
    "--- Iteration 3 ---",
    "Produced: BTC $0.000012345 to partition 2 at offset 41",
    "Iteration 3 completed in 0.00s",
    "Total messages produced: 1, Errors: 0",
  ]);
});

Deno.test("ProduceReport prints a failed iteration with the running error count", () => {
  const clock = new FakeClock(START);
  const { report, lines } = reportOn(clock);

  report.cycleStarted(1);
  report.cycleFailed(1, new Error("CoinGecko request failed after 4 attempts: HTTP 500"));
  report.cycleFetched(1, 0, START + 10_000);

  assert.deepEqual(lines, [
    "",
    "--- Iteration 1 ---",
    "Iteration 1 failed after 0.00s",
    "Total messages produced: 0, Errors: 1",
    "Waiting 10.00s until next fetch...",
  ]);
  assert.equal(report.totals.errors, 1);
});

Deno.test("ProduceReport.summary() counts iterations, produced messages, errors and what is pending", () => {
  const clock = new FakeClock(START);
  const { report } = reportOn(clock);
  const btc = message("BTC", "bitcoin", 45234.56, 1);
  const eth = message("ETH", "ethereum", 3198.23, 1);

  report.cycleStarted(1);
  report.coinSkipped(1, "solana (SOL) is missing from the CoinGecko response");
  report.fetched(btc.tick);
  report.fetched(eth.tick);
  report.cycleFetched(1, 2, null);
  report.delivered(btc, { partition: 1, offset: "0" });

  const summary = report.summary();
  assert.ok(summary.includes("Iterations: 1"), summary.join("\n"));
  assert.ok(summary.includes("Prices fetched: 2"), summary.join("\n"));
  assert.ok(summary.includes("Messages produced: 1"), summary.join("\n"));
  assert.ok(summary.includes("Errors: 1"), summary.join("\n"));
  assert.ok(summary.includes("Coins skipped: 1"), summary.join("\n"));
  assert.ok(summary.includes("Not delivered: 1"), summary.join("\n"));
  assert.ok(!summary.some((l) => l.startsWith("Of these")), summary.join("\n"));
  assert.equal(report.pending, 1);
});

Deno.test("ProduceReport.summary() says how many undelivered messages were sent without an answer", () => {
  const clock = new FakeClock(START);
  const { report } = reportOn(clock);
  const ticks = ["BTC", "ETH", "SOL"].map((s, i) => message(s, s.toLowerCase(), 10 + i, 1));
  report.cycleStarted(1);
  for (const m of ticks) report.fetched(m.tick);
  report.cycleFetched(1, 3, null);
  report.sending(2);
  const summary = report.summary();
  assert.ok(summary.includes("Not delivered: 3"), summary.join("\n"));
  assert.ok(summary.includes("Of these, sent without an answer from Kafka: 2"), summary.join("\n"));
  report.sending(0);
  assert.ok(!report.summary().some((l) => l.startsWith("Of these")));
});

Deno.test("ProduceReport keeps a failed fetch cycle failed when it closes, and counts only the cycles that passed as ok", () => {
  const clock = new FakeClock(START);
  const { report } = reportOn(clock);
  report.cycleStarted(1);
  report.cycleFailed(1, new Error("HTTP 500"));
  report.cycleFetched(1, 0, START + 10_000);
  assert.equal(report.lastFetch?.outcome, "error");
  assert.equal(report.lastFetch?.detail, "HTTP 500");
  assert.equal(report.cyclesOk, 0);

  report.cycleStarted(2);
  report.cycleFetched(2, 0, START + 20_000);
  assert.equal(report.lastFetch?.outcome, "ok");
  assert.equal(report.cyclesOk, 1);
});
