/**
 * What the HTTP tests share: a store filled with known data, the app built on it, and the
 * stores (SQLite, PostgreSQL) the API tests run against.
 *
 * @module
 */
import type { Hono } from "hono";
import { loadDashboard } from "../../http/server.ts";
import { createApp } from "../../http/app.ts";
import type { DashboardAssets } from "../../http/dashboard_assets.ts";
import { LiveHub } from "../../http/live_hub.ts";
import { Metrics } from "../../http/metrics.ts";
import type { PipelineSnapshot } from "../../http/pipeline_snapshot.ts";
import type { ReadinessCheck } from "../../http/routes/probes.ts";
import type { Alert } from "../../market/alert.ts";
import { type Candle, type Interval, intervalMs } from "../../market/candle.ts";
import type { CandleStore } from "../../store/candle_store.ts";
import type { LatestPrice } from "../../market/latest_price.ts";
import { type Market, parseMarketKey, priceMarket } from "../../market/market.ts";
import { PostgresCandleStore } from "../../store/postgres.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { createTestDatabase } from "../support/services.ts";

/** The fixed "now" of the tests: 2025-11-12T12:00:00Z. */
export const NOW = Date.UTC(2025, 10, 12, 12, 0);
const MINUTE = 60_000;

/**
 * The market a test names: a symbol (`BTC`, its CoinGecko market `coingecko` / `BTC-USD`) or a
 * market key (`coinbase:BTC-EUR`), with its base and quote currencies.
 */
export function marketOf(name: string): Market & { symbol: string; quote: string } {
  const market = parseMarketKey(name) ?? priceMarket(name);
  const dash = market.product.lastIndexOf("-");
  return {
    ...market,
    symbol: market.product.slice(0, dash),
    quote: market.product.slice(dash + 1),
  };
}

/**
 * A candle of a market (see {@linkcode marketOf}): of prices for a CoinGecko market, of trades
 * (with volumes) for a Coinbase one.
 */
export function candle(
  name: string,
  interval: Interval,
  windowStart: number,
  fields: Partial<Candle> = {},
): Candle {
  const market = marketOf(name);
  const trades = market.source === "coinbase";
  return {
    ...market,
    interval,
    windowStart,
    windowEnd: windowStart + intervalMs(interval),
    open: 100,
    high: 110,
    low: 90,
    close: 105,
    samples: 3,
    trades: 3,
    volume: trades ? 1.5 : null,
    buyVolume: trades ? 1 : null,
    sellVolume: trades ? 0.5 : null,
    vwap: trades ? 101 : null,
    firstEvent: windowStart + 1000,
    lastEvent: windowStart + 50_000,
    closed: true,
    revision: 0,
    ...fields,
  };
}

/** A latest price of a market (see {@linkcode marketOf}). */
export function latest(name: string, priceUsd: number, eventTime = NOW - 5000): LatestPrice {
  const { source, product, symbol } = marketOf(name);
  return {
    source,
    product,
    symbol,
    priceUsd,
    volume24h: 2.8e10,
    marketCap: 8.8e11,
    priceChange24h: 2.34,
    eventTime,
  };
}

/** An alert of a market (see {@linkcode marketOf}). */
export function alert(name: string, windowStart: number, fields: Partial<Alert> = {}): Alert {
  const { source, product, symbol } = marketOf(name);
  return {
    source,
    product,
    symbol,
    interval: "1m",
    windowStart,
    kind: "move",
    direction: "up",
    changePct: 6.12,
    zscore: null,
    price: 48001,
    createdAt: windowStart + MINUTE + 5,
    ...fields,
  };
}

/** The symbol whose text is markup: the dashboard must show it as characters. */
export const HTML_SYMBOL = "<img src=x onerror=alert(1)>";

/**
 * Fills a store: BTC with 120 one-minute candles up to NOW (the last one open) and 24 five-minute
 * ones, ETH with 10 one-minute candles and no price, latest prices of BTC and SOL, two alerts.
 */
export async function fill(store: CandleStore): Promise<void> {
  const start = NOW - 120 * MINUTE;
  const btc = Array.from({ length: 120 }, (_, i) =>
    candle("BTC", "1m", start + i * MINUTE, {
      open: 45_000 + i,
      high: 45_010 + i,
      low: 44_990 + i,
      close: 45_001 + i,
      closed: i < 119,
    }));
  const btc5 = Array.from({ length: 24 }, (_, i) => candle("BTC", "5m", start + i * 5 * MINUTE));
  const eth = Array.from(
    { length: 10 },
    (_, i) => candle("ETH", "1m", start + i * MINUTE, { open: 3000, close: 3010 }),
  );
  await store.write({
    states: [state("BTC"), state("ETH"), state("SOL")],
    candles: [...btc, ...btc5, ...eth],
    latest: [latest("BTC", 45_234.56), latest("SOL", 0.000012345)],
    publish: [],
  });
  await store.insertAlerts([
    alert("BTC", NOW - 30 * MINUTE),
    alert("ETH", NOW - 20 * MINUTE, { kind: "anomaly", direction: "down", zscore: -5.3 }),
  ]);
}

/** A market's state as a write carries it (see {@linkcode marketOf}). */
export function state(
  name: string,
): { market: string; maxEvent: number; seen: string; epoch: number } {
  const { source, product } = marketOf(name);
  return { market: `${source}:${product}`, maxEvent: NOW, seen: "", epoch: 1 };
}

/**
 * Adds to {@linkcode fill}'s store two Coinbase markets of BTC: `BTC-EUR`, with 30 one-minute
 * trade candles up to NOW, a latest price (€41,000.50) older than CoinGecko's BTC one and an
 * alert; and `BTC-USD`, with 5 one-minute candles and no price. A bare `BTC` still names
 * CoinGecko's market, whose price is the most recent.
 */
export async function fillMarkets(store: CandleStore): Promise<void> {
  const start = NOW - 30 * MINUTE;
  const eur = Array.from(
    { length: 30 },
    (_, i) =>
      candle("coinbase:BTC-EUR", "1m", start + i * MINUTE, {
        open: 41_000 + i,
        high: 41_020 + i,
        low: 40_990 + i,
        close: 41_005 + i,
        samples: 4,
        trades: 4,
        volume: 2 + i,
        buyVolume: 1.5 + i,
        sellVolume: 0.5,
        vwap: 41_003 + i,
      }),
  );
  const usd = Array.from(
    { length: 5 },
    (_, i) => candle("coinbase:BTC-USD", "1m", start + i * MINUTE, { open: 45_100, close: 45_110 }),
  );
  await store.write({
    states: [state("coinbase:BTC-EUR"), state("coinbase:BTC-USD")],
    candles: [...eur, ...usd],
    latest: [latest("coinbase:BTC-EUR", 41_000.5, NOW - 60_000)],
    publish: [],
  });
  await store.insertAlerts([alert("coinbase:BTC-EUR", NOW - 10 * MINUTE, { price: 41_300 })]);
}

/** A pipeline snapshot with a value in every field. */
export function busySnapshot(): PipelineSnapshot {
  return {
    transport: "memory",
    stages: [
      { name: "fetcher", messages: 10, errors: 1, restarts: 0, depth: null, capacity: null },
      {
        name: "publisher",
        messages: 200,
        errors: 0,
        restarts: 2,
        depth: 3,
        capacity: 1024,
        latency: { bounds: [0.001, 0.01], counts: [5, 3, 1], sum: 0.05, count: 9 },
      },
    ],
    fetch: { ok: 9, failed: 1, last: { at: NOW - 1000, outcome: "ok", detail: null } },
    produced: 200,
    consumed: 190,
    bad: 1,
    buffer: { depth: 0, capacity: 10_000, dropped: 0 },
    candles: { closed: 40, revisions: 2, late: 1, storeWrites: 50, storeErrors: 0 },
    lag: [{ topic: "crypto-prices", group: "g", consumer: "candles", partition: 0, lag: 10 }],
  };
}

let dashboard: DashboardAssets | null = null;

/** The app over a store, with a hub, metrics and the real dashboard. */
export async function appOver(
  store: CandleStore,
  options: {
    token?: string;
    readiness?: Record<string, ReadinessCheck>;
    pipeline?: () => PipelineSnapshot;
    readinessTimeoutMs?: number;
  } = {},
): Promise<{ app: Hono; hub: LiveHub; metrics: Metrics }> {
  dashboard ??= await loadDashboard();
  const hub = new LiveHub({ bootId: "t" });
  const pipeline = options.pipeline ?? busySnapshot;
  const metrics = new Metrics({ pipeline, hub: () => hub.stats });
  const app = createApp({
    store,
    hub,
    pipeline,
    readiness: options.readiness ?? { store: () => store.ping() },
    metrics,
    dashboard,
    token: options.token ?? null,
    cacheMs: 0,
    now: () => NOW,
    ...(options.readinessTimeoutMs === undefined
      ? {}
      : { readinessTimeoutMs: options.readinessTimeoutMs }),
  });
  return { app, hub, metrics };
}

/** The real stores the API tests run against, each opened empty. */
export const STORES: {
  name: string;
  open: () => Promise<{ store: CandleStore; cleanup: () => Promise<void> }>;
}[] = [
  {
    name: "SQLite",
    open: () => {
      const store = SqliteCandleStore.open(":memory:");
      return Promise.resolve({ store, cleanup: () => store.close() });
    },
  },
  {
    name: "PostgreSQL",
    open: async () => {
      const db = await createTestDatabase();
      const store = await PostgresCandleStore.connect(db.url);
      return {
        store,
        cleanup: async () => {
          await store.close();
          await db.drop();
        },
      };
    },
  },
];
