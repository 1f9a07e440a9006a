import assert from "node:assert/strict";
import { CoinGeckoClient, CoinGeckoError } from "../../sources/coingecko.ts";
import { chartUrl, fetchChart, parseChart } from "../../sources/coingecko_chart.ts";
import { CoinGeckoStub } from "../support/coingecko_stub.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { captureLogs } from "../support/logs.ts";

const BTC = { id: "bitcoin", symbol: "BTC" };
const NOW = Date.UTC(2025, 10, 12, 10, 0, 0);

Deno.test("chartUrl() asks for the coin's USD chart between two times, in whole seconds", () => {
  assert.equal(
    chartUrl("https://api.coingecko.com/api/v3", BTC, { from: NOW - 3_600_000 + 500, to: NOW }),
    `https://api.coingecko.com/api/v3/coins/bitcoin/market_chart/range?vs_currency=usd&from=${
      (NOW - 3_600_000) / 1000
    }&to=${NOW / 1000}`,
  );
});

Deno.test("parseChart() makes a tick per point, in time order, with the market cap and volume of its time, and leaves out unusable points", () => {
  const { ticks, unusable } = parseChart(
    {
      prices: [[NOW - 60_000, 101.5], [NOW - 120_000, 100], [NOW, -1], ["x", 1], [NOW + 1, 99]],
      market_caps: [[NOW - 120_000, 1e9]],
      total_volumes: [[NOW - 60_000, 5e6], [NOW - 120_000, "n/a"]],
    },
    BTC,
    { from: NOW - 3_600_000, to: NOW },
  );
  assert.equal(unusable, 3);
  assert.deepEqual(ticks, [
    {
      coinId: "bitcoin",
      symbol: "BTC",
      priceUsd: 100,
      volume24h: null,
      marketCap: 1e9,
      change24h: null,
      lastUpdated: (NOW - 120_000) / 1000,
      fetchedAt: NOW - 120_000,
      cycle: 0,
    },
    {
      coinId: "bitcoin",
      symbol: "BTC",
      priceUsd: 101.5,
      volume24h: 5e6,
      marketCap: null,
      change24h: null,
      lastUpdated: (NOW - 60_000) / 1000,
      fetchedAt: NOW - 60_000,
      cycle: 0,
    },
  ]);
});

Deno.test("parseChart() refuses an answer without a list of prices", () => {
  assert.throws(
    () => parseChart({ error: "coin not found" }, BTC, { from: 0, to: NOW }),
    (error: unknown) =>
      error instanceof CoinGeckoError &&
      error.message ===
        `CoinGecko's chart of bitcoin has no list of prices: {"error":"coin not found"}`,
  );
});

Deno.test("fetchChart() reads the stand-in's chart through the client, waiting out a 429", async () => {
  const stub = await CoinGeckoStub.start();
  try {
    stub.chartEnqueue({ status: 429, headers: { "retry-after": "3" }, body: { status: {} } });
    const clock = new FakeClock(NOW);
    const client = new CoinGeckoClient({
      baseUrl: stub.url,
      apiKey: null,
      apiKeyType: "demo",
      timeoutMs: 5_000,
      maxRetries: 3,
      rateLimitDelayMs: 0,
      maxRetryAfterMs: 60_000,
    }, { clock, random: () => 0 });
    const from = Date.now() - 3_600_000;
    const to = Date.now();
    let result: Awaited<ReturnType<typeof fetchChart>> | null = null;
    await captureLogs(async () => {
      result = await fetchChart(client, BTC, { baseUrl: stub.url, from, to });
    });
    assert.ok(clock.sleeps.includes(3_000), String(clock.sleeps));
    const points = stub.chartFor(
      "bitcoin",
      Math.floor(from / 1000) * 1000,
      Math.ceil(to / 1000) * 1000,
    )
      .prices.filter(([t]) => t >= from && t <= to);
    assert.deepEqual(result!.ticks.map((t) => [t.fetchedAt, t.priceUsd]), points);
    assert.equal(points.length, 12);
    assert.equal(stub.requests.length, 2);
  } finally {
    await stub.close();
  }
});
