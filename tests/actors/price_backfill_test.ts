import assert from "node:assert/strict";
import { backfillCoins } from "../../actors/price_backfill.ts";
import type { PriceTick } from "../../market/price_tick.ts";
import { BackfillReport } from "../../report/backfill_report.ts";
import { CoinGeckoError } from "../../sources/coingecko.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { captureLogs } from "../support/logs.ts";

const NOW = Date.UTC(2025, 10, 12, 10, 0, 0);

Deno.test("backfillCoins() hands on each coin's chart points oldest first, counted; a coin whose chart does not come is told once and left", async () => {
  const clock = new FakeClock(NOW);
  const asked: string[] = [];
  const client = {
    fetchJson: (url: string) => {
      asked.push(url);
      if (url.includes("/coins/nope/")) {
        return Promise.reject(
          new CoinGeckoError("CoinGecko answered HTTP 404: coin not found", { status: 404 }),
        );
      }
      const prices = [3, 2, 1].map((k) => [NOW - k * 300_000, 100 + k]);
      return Promise.resolve({ prices, market_caps: [], total_volumes: [] });
    },
  };
  const sent: PriceTick[] = [];
  const counted: PriceTick[] = [];
  const lines: string[] = [];
  const logs = await captureLogs(async () => {
    await backfillCoins({
      client,
      baseUrl: "https://cg.example/api/v3",
      coins: [{ id: "bitcoin", symbol: "BTC" }, { id: "nope", symbol: "NOPE" }],
      spanMs: 3_600_000,
      counts: { fetched: (tick) => counted.push(tick) },
      progress: new BackfillReport((line) => lines.push(line), clock, "prices"),
      clock,
    }, (tick) => {
      sent.push(tick);
      return Promise.resolve();
    }, AbortSignal.timeout(5_000));
  });
  assert.deepEqual(asked, [
    `https://cg.example/api/v3/coins/bitcoin/market_chart/range?vs_currency=usd&from=${
      (NOW - 3_600_000) / 1000
    }&to=${NOW / 1000}`,
    `https://cg.example/api/v3/coins/nope/market_chart/range?vs_currency=usd&from=${
      (NOW - 3_600_000) / 1000
    }&to=${NOW / 1000}`,
  ]);
  assert.deepEqual(sent.map((t) => [t.symbol, t.priceUsd, t.lastUpdated]), [
    ["BTC", 103, (NOW - 900_000) / 1000],
    ["BTC", 102, (NOW - 600_000) / 1000],
    ["BTC", 101, (NOW - 300_000) / 1000],
  ]);
  assert.equal(counted.length, 3);
  assert.deepEqual(lines, [
    "Backfill BTC (bitcoin): 3 prices from 2025-11-12T09:45:00Z to 2025-11-12T09:55:00Z in 0.0 s, done",
    "Backfill NOPE (nope): 0 prices in 0.0 s; stopped: CoinGecko answered HTTP 404: coin not found",
  ]);
  const warnings = logs.filter((l) => l.level === "warning").map((l) => l.text);
  assert.deepEqual(warnings, [
    "Backfill of NOPE (nope) stopped: CoinGecko answered HTTP 404: coin not found; going on with the live prices",
  ]);
});
