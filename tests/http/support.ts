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
import { PostgresCandleStore } from "../../store/postgres.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { createTestDatabase } from "../support/services.ts";

/** The fixed "now" of the tests: 2025-11-12T12:00:00Z. */
export const NOW = Date.UTC(2025, 10, 12, 12, 0);
const MINUTE = 60_000;

/** A candle of `symbol` with plausible prices around `base`. */
export function candle(
  symbol: string,
  interval: Interval,
  windowStart: number,
  fields: Partial<Candle> = {},
): Candle {
  return {
    symbol,
    interval,
    windowStart,
    windowEnd: windowStart + intervalMs(interval),
    open: 100,
    high: 110,
    low: 90,
    close: 105,
    samples: 3,
    volume: null,
    vwap: null,
    firstEvent: windowStart + 1000,
    lastEvent: windowStart + 50_000,
    closed: true,
    revision: 0,
    ...fields,
  };
}

/** A latest price. */
export function latest(symbol: string, priceUsd: number, eventTime = NOW - 5000): LatestPrice {
  return {
    symbol,
    priceUsd,
    volume24h: 2.8e10,
    marketCap: 8.8e11,
    priceChange24h: 2.34,
    eventTime,
  };
}

/** An alert. */
export function alert(symbol: string, windowStart: number, fields: Partial<Alert> = {}): Alert {
  return {
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
  const state = (symbol: string) => ({
    symbol,
    maxEvent: NOW,
    seen: "",
    epoch: 1,
  });
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
