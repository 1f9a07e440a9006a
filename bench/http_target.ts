/**
 * The server side of the HTTP benchmarks, run as its own process:
 * `http_target.ts app|app-nocache|bare|bare-query|sse <port> [clients]`.
 *
 * - `app`: the product's server over a SQLite store of 10 latest prices and 600 BTC candles
 *   (`app-nocache`: the same with its answer cache off, every request a store query).
 * - `bare`: a bare `Deno.serve` answering the very bytes `app` answers, by path.
 * - `bare-query`: a bare `Deno.serve` that answers `/api/v1/candles/BTC?limit=500` by running a
 *   SELECT of the newest 500 coingecko BTC-USD 1m candles through the primary key with
 *   `node:sqlite` on a `:memory:` database of the same schema and rows, putting them in time
 *   order and `JSON.stringify`ing them.
 * - `sse`: the product's server; once `clients` stream clients are connected, publishes 60
 *   prices 100 ms apart, each carrying the time it entered the hub (in `price_usd`), then exits.
 *
 * @module
 */
import { loadDashboard, startHttpServer } from "../http/server.ts";
import { createApp } from "../http/app.ts";
import { LiveHub } from "../http/live_hub.ts";
import { Metrics } from "../http/metrics.ts";
import { NO_PIPELINE } from "../http/pipeline_snapshot.ts";
import { SqliteCandleStore } from "../store/sqlite.ts";
import { DatabaseSync } from "node:sqlite";
import type { Candle } from "../market/candle.ts";
import { CANDLE_COLUMNS } from "../store/candle_columns.ts";
import { migrateSqlite } from "../store/sqlite_schema.ts";
import { applyWrite, statementCache } from "../store/sqlite_write.ts";
import { isoTime, planWrite } from "../store/write_plan.ts";

const [mode, portText, clientsText] = Deno.args;
const port = Number(portText);
const MINUTE = 60_000;
const now = Math.floor(Date.now() / MINUTE) * MINUTE;

const store = SqliteCandleStore.open(":memory:");
const symbols = ["BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "DOT", "AVAX", "LINK", "LTC"];
const candles: Candle[] = Array.from({ length: 600 }, (_, i) => {
  const start = now - (600 - i) * MINUTE;
  return {
    source: "coingecko" as const,
    product: "BTC-USD",
    symbol: "BTC",
    quote: "USD",
    interval: "1m" as const,
    windowStart: start,
    windowEnd: start + MINUTE,
    open: 45_000 + i,
    high: 45_020 + i,
    low: 44_980 + i,
    close: 45_005 + i,
    samples: 6,
    trades: 6,
    volume: null,
    buyVolume: null,
    sellVolume: null,
    vwap: null,
    firstEvent: start + 1000,
    lastEvent: start + 59_000,
    closed: true,
    revision: 0,
  };
});
await store.write({
  states: symbols.map((symbol) => ({
    market: `coingecko:${symbol}-USD`,
    maxEvent: now,
    seen: "",
    epoch: 1,
  })),
  candles,
  latest: symbols.map((symbol, i) => ({
    source: "coingecko" as const,
    product: `${symbol}-USD`,
    symbol,
    priceUsd: 1000 / (i + 1),
    volume24h: 1e9,
    marketCap: 1e10,
    priceChange24h: 1.5,
    eventTime: now,
  })),
  publish: [],
});

const hub = new LiveHub();
if (mode === "bare-query") {
  // The store's schema and the same candle rows, in a database of this process's own.
  const db = new DatabaseSync(":memory:");
  migrateSqlite(db);
  // Written as the store writes them (a plan of the same candles applied by its own write).
  applyWrite(
    db,
    statementCache(db),
    planWrite({ states: [], candles, latest: [], publish: [] }),
    isoTime(now),
  );
  // A market's latest candles as a plain program would read them: newest first through the
  // primary key (no sort), then put in time order.
  const select = db.prepare(
    `SELECT ${CANDLE_COLUMNS} FROM candles
     WHERE source = ? AND product = ? AND "interval" = ?
     ORDER BY window_start DESC LIMIT ?`,
  );
  const headers = { "content-type": "application/json; charset=utf-8" };
  Deno.serve({ hostname: "127.0.0.1", port, onListen: () => console.log("ready") }, (request) => {
    const url = new URL(request.url);
    if (url.pathname !== "/api/v1/candles/BTC") return new Response(null, { status: 404 });
    const limit = Number(url.searchParams.get("limit") ?? 500);
    const rows = select.all("coingecko", "BTC-USD", "1m", limit).reverse()
      .map((row) => ({ ...row, closed: row.closed === 1 }));
    const body = JSON.stringify({
      source: "coingecko",
      product: "BTC-USD",
      symbol: "BTC",
      quote: "USD",
      interval: "1m",
      candles: rows,
    });
    return new Response(body, { headers });
  });
} else if (mode === "bare") {
  // The same bytes as the app answers, computed once through the app itself.
  const app = createApp({
    store,
    hub,
    pipeline: () => NO_PIPELINE,
    readiness: {},
    metrics: new Metrics({ pipeline: () => NO_PIPELINE }),
    dashboard: await loadDashboard(),
  });
  const bodies = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const path of ["/api/v1/prices/latest", "/api/v1/candles/BTC?limit=500"]) {
    bodies.set(path, new Uint8Array(await (await app.request(path)).arrayBuffer()));
  }
  const headers = { "content-type": "application/json; charset=utf-8" };
  Deno.serve({ hostname: "127.0.0.1", port, onListen: () => console.log("ready") }, (request) => {
    const url = request.url;
    const body = bodies.get(url.slice(url.indexOf("/", 8)));
    return body === undefined
      ? new Response(null, { status: 404 })
      : new Response(body, { headers });
  });
} else {
  await startHttpServer({
    config: { hostname: "127.0.0.1", port, token: null },
    store,
    hub,
    pipeline: () => NO_PIPELINE,
    readiness: {},
    pipelineEveryMs: 0,
    ...(mode === "app-nocache" ? { cacheMs: 0 } : {}),
  });
  console.log("ready");
  if (mode === "sse") {
    const clients = Number(clientsText);
    while (hub.stats.clients < clients) await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 60; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      hub.publish({
        type: "price",
        price: {
          source: "coingecko",
          product: "BTC-USD",
          symbol: "BTC",
          priceUsd: performance.timeOrigin + performance.now(),
          volume24h: null,
          marketCap: null,
          priceChange24h: null,
          eventTime: Date.now(),
        },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    Deno.exit(0);
  }
}
