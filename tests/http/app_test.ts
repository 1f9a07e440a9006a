import assert from "node:assert/strict";
import { candleJson } from "../../market/messages/candle_message.ts";
import { latestPriceJson } from "../../market/messages/latest_price_message.ts";
import type { CandleQuery, CandleStore } from "../../store/candle_store.ts";
import { postgresTest } from "../support/services.ts";
import {
  appOver,
  candle,
  fill,
  fillMarkets,
  HTML_SYMBOL,
  latest,
  marketOf,
  NOW,
  state,
  STORES,
} from "./support.ts";

type Body = Record<string, unknown>;

/** A one-minute candle of a market closing at `close`, of four trades. */
function candleOf(name: string, windowStart: number, close: number) {
  return candle(name, "1m", windowStart, {
    open: close - 1,
    high: close + 2,
    low: close - 3,
    close,
    samples: 4,
    trades: 4,
  });
}

async function get(
  app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> },
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: Body; text: string; type: string | null }> {
  const response = await app.request(path, init);
  const text = await response.text();
  let body: Body = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body, text, type: response.headers.get("content-type") };
}

/** One sentence: a capital first, one line, no stack trace. */
function assertOneSentence(error: unknown, mentions: string[]): void {
  assert.equal(typeof error, "string");
  const text = error as string;
  assert.match(text, /^[A-Z][^\n]*$/);
  assert.doesNotMatch(text, /\bat .*:\d+:\d+/);
  for (const m of mentions) assert.ok(text.includes(m), `${JSON.stringify(text)} names ${m}`);
}

const BAD: [path: string, mentions: string[]][] = [
  ["/api/v1/candles/DOGE", ["market", "symbol", "DOGE", "BTC"]],
  ["/api/v1/candles/DOGE-USD", ["market", "DOGE-USD", "BTC-EUR"]],
  ["/api/v1/candles/BTC_USD", ["market", "BTC_USD", "product such as BTC-USD"]],
  ["/api/v1/candles/BTC-EUR?source=coingecko", ["market", "BTC-EUR", "coingecko", "coinbase"]],
  ["/api/v1/candles/BTC?source=binance", ["source", "binance", "coingecko or coinbase"]],
  ["/api/v1/candles/BTC?source=", ["source", '""', "coingecko or coinbase"]],
  ["/api/v1/candles/BTC?fill=other", ["fill", "other", "previous"]],
  ["/api/v1/candles/BTC?fill=", ["fill", '""', "previous"]],
  ["/api/v1/markets?source=kraken", ["source", "kraken", "coingecko or coinbase"]],
  ["/api/v1/markets?symbol=BTC", ["parameter", "symbol", "source"]],
  ["/api/v1/symbols?source=x", ["source", '"x"']],
  ["/api/v1/prices/latest?source=coin", ["source", "coin"]],
  ["/api/v1/prices/latest/BTC?source=bitstamp", ["source", "bitstamp"]],
  ["/api/v1/prices/latest/SOL-EUR", ["market", "SOL-EUR"]],
  ["/api/v1/stats/BTC-EUR?source=coingecko", ["market", "BTC-EUR", "coingecko"]],
  ["/api/v1/alerts?source=gecko", ["source", "gecko"]],
  ["/api/v1/alerts?product=ETH-EUR", ["product", "ETH-EUR", "BTC-EUR"]],
  ["/api/v1/stream?markets=BTC-EUR", ["markets", "BTC-EUR", "coinbase:BTC-EUR"]],
  ["/api/v1/stream?markets=kraken:BTC-EUR", ["markets", "kraken:BTC-EUR"]],
  ["/api/v1/candles/BTC?interval=2m", ["interval", "2m", "1m, 5m"]],
  ["/api/v1/candles/BTC?interval=", ["interval", '""']],
  ["/api/v1/candles/BTC?from=yesterday", ["from", "yesterday", "ISO-8601"]],
  ["/api/v1/candles/BTC?to=2025-13-45T99:00:00Z", ["to", "2025-13-45", "ISO-8601"]],
  ["/api/v1/candles/BTC?from=2025-11-12T10:00:00", ["from", "zone"]],
  [
    "/api/v1/candles/BTC?from=2025-11-12T11:00:00Z&to=2025-11-12T10:00:00Z",
    ["from", "to", "before"],
  ],
  ["/api/v1/candles/BTC?limit=0", ["limit", '"0"', "1 to 5000"]],
  ["/api/v1/candles/BTC?limit=5001", ["limit", "5001", "1 to 5000"]],
  ["/api/v1/candles/BTC?limit=ten", ["limit", "ten"]],
  ["/api/v1/candles/BTC?limit=-1", ["limit", "-1"]],
  ["/api/v1/candles/BTC?limt=5", ["parameter", "limt", "interval, from, to, limit"]],
  ["/api/v1/prices/latest/NOPE", ["symbol", "NOPE"]],
  ["/api/v1/prices/latest?symbol=BTC", ["parameter", "symbol", "source"]],
  ["/api/v1/stats/BTC?window=3w", ["window", "3w", "24h"]],
  ["/api/v1/stats/BTC?window=0m", ["window", "0m"]],
  ["/api/v1/stats/BTC?window=31d", ["window", "31d", "30d"]],
  ["/api/v1/stats/XRP", ["symbol", "XRP"]],
  ["/api/v1/alerts?symbol=XRP", ["symbol", "XRP"]],
  ["/api/v1/alerts?since=now", ["since", "now", "ISO-8601"]],
  ["/api/v1/alerts?limit=1001", ["limit", "1001", "1 to 1000"]],
  ["/api/v1/stream?symbols=BTC,<b>", ["symbols", "<b>", "BTC,ETH"]],
  ["/api/v1/stream?symbols=", ["symbols"]],
  ["/api/v1/symbols?x=1", ["parameter", "x", "source"]],
  ["/api/v1/candles/BTC?from=2025-02-30", ["from", "2025-02-30", "February 2025 has 28 days"]],
  ["/api/v1/candles/BTC?to=2025-04-31T10:00:00Z", ["to", "2025-04-31", "April 2025 has 30 days"]],
  ["/api/v1/candles/BTC?from=2025-11-12T24:00:00Z", ["from", "T24:00", "hours go to 23"]],
  ["/api/v1/candles/BTC?to=2025-11-12T10:00:00%2B24:00", ["to", "+24:00", "offset"]],
  ["/api/v1/alerts?since=2023-02-29T00:00:00Z", ["since", "2023-02-29", "28 days"]],
  ["/api/v1/pipeline?verbose=1", ["parameter", "verbose"]],
];

function apiTests(
  name: string,
  open: () => Promise<{ store: CandleStore; cleanup: () => Promise<void> }>,
  test: (name: string, fn: () => Promise<void>) => void,
): void {
  const withApp = (
    behaviour: string,
    body: (app: Awaited<ReturnType<typeof appOver>>, store: CandleStore) => Promise<void>,
    options: Parameters<typeof appOver>[1] = {},
  ) =>
    test(`API over ${name}: ${behaviour}`, async () => {
      const { store, cleanup } = await open();
      try {
        await fill(store);
        await body(await appOver(store, options), store);
      } finally {
        await cleanup();
      }
    });

  withApp("every route gives its normal answer", async ({ app }) => {
    const symbols = await get(app, "/api/v1/symbols");
    assert.equal(symbols.status, 200);
    assert.match(symbols.type ?? "", /^application\/json/);
    assert.deepEqual(symbols.body, {
      symbols: [
        {
          symbol: "BTC",
          source: "coingecko",
          product: "BTC-USD",
          quote: "USD",
          price_usd: 45_234.56,
          event_time: new Date(NOW - 5000).toISOString(),
        },
        {
          symbol: "ETH",
          source: "coingecko",
          product: "ETH-USD",
          quote: "USD",
          price_usd: null,
          event_time: null,
        },
        {
          symbol: "SOL",
          source: "coingecko",
          product: "SOL-USD",
          quote: "USD",
          price_usd: 0.000012345,
          event_time: new Date(NOW - 5000).toISOString(),
        },
      ],
    });

    const prices = await get(app, "/api/v1/prices/latest");
    assert.equal(prices.status, 200);
    assert.deepEqual((prices.body.prices as Body[]).map((p) => p.symbol), ["BTC", "SOL"]);
    assert.deepEqual((prices.body.prices as Body[])[0], {
      source: "coingecko",
      product: "BTC-USD",
      quote: "USD",
      symbol: "BTC",
      price_usd: 45_234.56,
      volume_24h: 2.8e10,
      market_cap: 8.8e11,
      price_change_24h: 2.34,
      event_time: "2025-11-12T11:59:55.000Z",
    });
    const one = await get(app, "/api/v1/prices/latest/btc");
    assert.equal(one.status, 200);
    assert.equal(one.body.price_usd, 45_234.56);
    const none = await get(app, "/api/v1/prices/latest/ETH");
    assert.equal(none.status, 404);
    assert.equal(none.body.error, "No price for ETH-USD on coingecko yet");

    const candles = await get(app, "/api/v1/candles/BTC");
    assert.equal(candles.status, 200);
    const list = candles.body.candles as Body[];
    assert.equal(candles.body.interval, "1m");
    assert.equal(candles.body.source, "coingecko");
    assert.equal(candles.body.product, "BTC-USD");
    assert.equal(candles.body.symbol, "BTC");
    assert.equal(list.length, 120);
    assert.deepEqual(Object.keys(list[0]!), [
      "source",
      "product",
      "symbol",
      "quote",
      "interval",
      "window_start",
      "window_end",
      "open",
      "high",
      "low",
      "close",
      "samples",
      "trades",
      "volume",
      "buy_volume",
      "sell_volume",
      "vwap",
      "first_event",
      "last_event",
      "closed",
      "revision",
    ]);
    assert.equal(list[0]!.window_start, "2025-11-12T10:00:00.000Z");
    assert.ok(list.every((c, i) => i === 0 || c.window_start! > list[i - 1]!.window_start!));
    assert.equal(list.at(-1)!.closed, false, "the open candle is included and marked");
    const last5 = await get(app, "/api/v1/candles/BTC?limit=5");
    assert.deepEqual(
      (last5.body.candles as Body[]).map((c) => c.window_start),
      list.slice(-5).map((c) => c.window_start),
    );
    const ranged = await get(
      app,
      "/api/v1/candles/BTC?interval=5m&from=2025-11-12T10:30:00Z&to=2025-11-12T11:00:00%2B00:00",
    );
    assert.deepEqual(
      (ranged.body.candles as Body[]).map((c) => c.window_start),
      [30, 35, 40, 45, 50, 55].map((m) => `2025-11-12T10:${m}:00.000Z`),
    );
    const empty = await get(app, "/api/v1/candles/SOL?interval=1d");
    assert.deepEqual(empty.body, {
      source: "coingecko",
      product: "SOL-USD",
      symbol: "SOL",
      quote: "USD",
      interval: "1d",
      candles: [],
    });

    const stats = await get(app, "/api/v1/stats/BTC?window=1h");
    assert.equal(stats.status, 200);
    assert.deepEqual(stats.body, {
      source: "coingecko",
      product: "BTC-USD",
      symbol: "BTC",
      quote: "USD",
      window: "1h",
      from: "2025-11-12T11:00:00.000Z",
      to: "2025-11-12T12:00:00.000Z",
      interval: "1m",
      open: 45_060,
      high: 45_010 + 119,
      low: 44_990 + 60,
      last: 45_001 + 119,
      change_pct: Math.round(((45_120 - 45_060) / 45_060) * 100 * 10_000) / 10_000,
      samples: 180,
    });
    const day = await get(app, "/api/v1/stats/ETH");
    assert.equal(day.body.window, "24h");
    assert.equal(day.body.samples, 30);

    const alerts = await get(app, "/api/v1/alerts");
    assert.equal(alerts.status, 200);
    assert.deepEqual((alerts.body.alerts as Body[]).map((a) => a.symbol), ["ETH", "BTC"]);
    assert.deepEqual((alerts.body.alerts as Body[])[0], {
      source: "coingecko",
      product: "ETH-USD",
      symbol: "ETH",
      interval: "1m",
      window_start: "2025-11-12T11:40:00.000Z",
      kind: "anomaly",
      direction: "down",
      change_pct: 6.12,
      zscore: -5.3,
      price: 48001,
      created_at: "2025-11-12T11:41:00.005Z",
    });
    const btcAlerts = await get(app, "/api/v1/alerts?symbol=BTC&limit=1");
    assert.deepEqual((btcAlerts.body.alerts as Body[]).map((a) => a.symbol), ["BTC"]);
    const since = await get(app, "/api/v1/alerts?since=2025-11-12T11:35:00Z");
    assert.deepEqual((since.body.alerts as Body[]).map((a) => a.symbol), ["ETH"]);

    const pipeline = await get(app, "/api/v1/pipeline");
    assert.equal(pipeline.status, 200);
    assert.equal(pipeline.body.transport, "memory");
    assert.equal(pipeline.body.total_lag, 10);
    assert.deepEqual(pipeline.body.lag, [
      { topic: "crypto-prices", group: "g", consumer: "candles", partition: 0, lag: 10 },
    ]);
    assert.equal(pipeline.body.restarts, 2);
    assert.deepEqual((pipeline.body.stages as Body[])[1], {
      name: "publisher",
      messages: 200,
      messages_per_s: 0,
      errors: 0,
      restarts: 2,
      depth: 3,
      capacity: 1024,
    });
    assert.deepEqual(pipeline.body.fetch, {
      ok: 9,
      failed: 1,
      last_at: "2025-11-12T11:59:59.000Z",
      last_outcome: "ok",
      last_detail: null,
    });

    assert.deepEqual((await get(app, "/healthz")).body, { status: "ok" });
    const ready = await get(app, "/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: "ready", checks: { store: "ok" } });

    const metrics = await app.request("/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain; version=0.0.4/);
    const text = await metrics.text();
    for (
      const line of [
        'crypto_stage_messages_total{stage="publisher"} 200',
        'crypto_actor_restarts_total{stage="publisher"} 2',
        'crypto_channel_depth{stage="publisher"} 3',
        'crypto_fetches_total{outcome="error"} 1',
        "crypto_produced_total 200",
        "crypto_consumed_total 190",
        "crypto_bad_messages_total 1",
        "crypto_buffer_depth 0",
        "crypto_candles_closed_total 40",
        "crypto_late_records_total 1",
        "crypto_store_writes_total 50",
        "crypto_store_errors_total 0",
        'crypto_consumer_lag{topic="crypto-prices",group="g",partition="0"} 10',
        'crypto_stage_latency_seconds_bucket{stage="publisher",le="0.01"} 8',
        'crypto_stage_latency_seconds_count{stage="publisher"} 9',
        'crypto_http_requests_total{route="/api/v1/candles/:market",method="GET",status="2xx"} 4',
        "crypto_sse_clients 0",
      ]
    ) {
      assert.ok(text.includes(line), `metrics has ${line}`);
    }
    assert.match(
      text,
      /crypto_http_request_duration_seconds_bucket\{route="\/healthz",le="0.005"\}/,
    );

    const page = await app.request("/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 3);
    for (const asset of assets) {
      assert.match(asset, /\.[0-9a-f]{16}\.(js|css)$/);
      const response = await app.request(asset);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("cache-control") ?? "", /immutable/);
      await response.body?.cancel();
    }
  });

  withApp("every bad parameter gets 400 with one sentence naming it", async ({ app }, store) => {
    await fillMarkets(store);
    for (const [path, mentions] of BAD) {
      const { status, body } = await get(app, path);
      assert.equal(status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.deepEqual(Object.keys(body), ["error"]);
      assertOneSentence(body.error, mentions);
    }
    const unknown = await get(app, "/api/v2/candles");
    assert.equal(unknown.status, 404);
    assertOneSentence(unknown.body.error, ["/api/v2/candles"]);
    assert.equal((await get(app, "/api/v1/symbols", { method: "POST" })).status, 405);
  });

  withApp(
    "a symbol that is markup never enters the store, and is answered as JSON",
    async ({ app }, store) => {
      // A market is `{source}:{BASE-QUOTE}` of letters and digits: the store refuses any other.
      await assert.rejects(
        store.write({
          states: [state(HTML_SYMBOL)],
          candles: [],
          latest: [latest(HTML_SYMBOL, 45_234.56)],
          publish: [],
        }),
        /market must be/,
      );
      const one = await get(app, `/api/v1/prices/latest/${encodeURIComponent(HTML_SYMBOL)}`);
      assert.equal(one.status, 400);
      assert.match(one.type ?? "", /^application\/json/);
      assert.match(String(one.body.error), /market/);
    },
  );

  withApp(
    "a fuzz of 2,000 random paths and queries gets no 5xx and no stack trace",
    async ({ app }, store) => {
      await fillMarkets(store);
      const pieces = [
        "api",
        "v1",
        "candles",
        "prices",
        "latest",
        "stats",
        "alerts",
        "symbols",
        "pipeline",
        "markets",
        "BTC",
        "BTC-EUR",
        "btc-usd",
        "coinbase:BTC-EUR",
        "btc",
        "%00",
        "%E0%A4%A",
        "..",
        "%2e%2e",
        "<script>",
        "'",
        '"',
        "%",
        "ETH",
        "metrics",
        "healthz",
        "readyz",
        "assets",
        "x".repeat(300),
        "😀",
        "%F0%9F%98%80",
        "\\",
        ";",
        "?",
        "&",
        "=",
        "#",
      ];
      const keys = [
        "interval",
        "from",
        "to",
        "limit",
        "window",
        "symbol",
        "since",
        "symbols",
        "x",
        "source",
        "fill",
        "markets",
        "product",
      ];
      const values = [
        "1m",
        "5m",
        "2m",
        "",
        "-1",
        "0",
        "5000",
        "5001",
        "1e3",
        "NaN",
        "2025-11-12T10:00:00Z",
        "2025-02-30T10:00:00Z",
        "9999-99-99",
        "24h",
        "0d",
        "BTC,ETH",
        "%",
        "%ZZ",
        "'; DROP TABLE candles;--",
        "a".repeat(5000),
        "\u0000",
        "1".repeat(40),
        "previous",
        "coinbase",
        "coingecko",
        "coinbase:BTC-EUR",
        "BTC-EUR",
      ];
      let seed = 42;
      const random = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed % n;
      };
      const pick = <T>(xs: readonly T[]) => xs[random(xs.length)]!;
      for (let i = 0; i < 2000; i++) {
        const depth = 1 + random(5);
        const path = i % 2 === 0
          ? `/api/v1/${
            ["candles", "prices/latest", "stats", "alerts", "symbols", "markets"][random(6)]
          }/${pick(pieces)}`
          : "/" + Array.from({ length: depth }, () => pick(pieces)).join("/");
        const query = Array.from({ length: random(4) }, () => `${pick(keys)}=${pick(values)}`)
          .join("&");
        const url = `http://localhost${path}${query ? `?${query}` : ""}`;
        let response: Response;
        try {
          response = await app.request(url);
        } catch (error) {
          // A URL the platform itself refuses to build never reaches the server.
          if (error instanceof TypeError) continue;
          throw error;
        }
        const text = await response.text();
        assert.ok(response.status < 500, `${url} gave ${response.status}: ${text}`);
        assert.doesNotMatch(text, /\bat .*\.ts:\d+|Error:|stack/i, url);
      }
    },
  );

  withApp("GET /api/v1/markets lists every market: quote, latest price, intervals", async ({
    app,
  }, store) => {
    await fillMarkets(store);
    const { status, body } = await get(app, "/api/v1/markets");
    assert.equal(status, 200);
    const at = (ms: number) => new Date(ms).toISOString();
    assert.deepEqual(body.markets, [
      {
        source: "coinbase",
        product: "BTC-EUR",
        symbol: "BTC",
        quote: "EUR",
        price: 41_000.5,
        event_time: at(NOW - 60_000),
        intervals: ["1m"],
      },
      {
        source: "coinbase",
        product: "BTC-USD",
        symbol: "BTC",
        quote: "USD",
        price: null,
        event_time: null,
        intervals: ["1m"],
      },
      {
        source: "coingecko",
        product: "BTC-USD",
        symbol: "BTC",
        quote: "USD",
        price: 45_234.56,
        event_time: at(NOW - 5000),
        intervals: ["1m", "5m"],
      },
      {
        source: "coingecko",
        product: "ETH-USD",
        symbol: "ETH",
        quote: "USD",
        price: null,
        event_time: null,
        intervals: ["1m"],
      },
      {
        source: "coingecko",
        product: "SOL-USD",
        symbol: "SOL",
        quote: "USD",
        price: 0.000012345,
        event_time: at(NOW - 5000),
        intervals: [],
      },
    ]);
    const coinbase = await get(app, "/api/v1/markets?source=coinbase");
    assert.deepEqual(
      (coinbase.body.markets as Body[]).map((m) => `${m.source}:${m.product}`),
      ["coinbase:BTC-EUR", "coinbase:BTC-USD"],
    );
  });

  withApp("candles by product and by symbol, the source picking among markets", async ({
    app,
  }, store) => {
    await fillMarkets(store);
    const names = (body: Body) => `${body.source}:${body.product}`;
    // A bare symbol names the market with the most recent price: CoinGecko's BTC-USD here.
    const bySymbol = await get(app, "/api/v1/candles/BTC?limit=3");
    assert.equal(names(bySymbol.body), "coingecko:BTC-USD");
    assert.equal((bySymbol.body.candles as Body[])[0]!.source, "coingecko");
    assert.equal((bySymbol.body.candles as Body[])[0]!.volume, null);
    // BTC-USD has two sources: the one with a price; the other when asked for.
    assert.equal(names((await get(app, "/api/v1/candles/btc-usd")).body), "coingecko:BTC-USD");
    const coinbaseUsd = await get(app, "/api/v1/candles/BTC-USD?source=coinbase");
    assert.equal(names(coinbaseUsd.body), "coinbase:BTC-USD");
    assert.deepEqual(
      (coinbaseUsd.body.candles as Body[]).map((c) => [c.product, c.close]),
      Array.from({ length: 5 }, () => ["BTC-USD", 45_110]),
    );
    // One product of one source: its candles, in its quote currency, with order flow.
    const eur = await get(app, "/api/v1/candles/BTC-EUR?limit=2");
    assert.equal(eur.status, 200);
    assert.equal(names(eur.body), "coinbase:BTC-EUR");
    assert.equal(eur.body.quote, "EUR");
    assert.deepEqual(
      (eur.body.candles as Body[]).map((c) => [c.window_start, c.close, c.buy_volume, c.volume]),
      [
        [new Date(NOW - 2 * 60_000).toISOString(), 41_033, 29.5, 30],
        [new Date(NOW - 60_000).toISOString(), 41_034, 30.5, 31],
      ],
    );
    // The symbol within one source: Coinbase's BTC market with the most recent price.
    const coinbaseBtc = await get(app, "/api/v1/candles/BTC?source=coinbase&limit=1");
    assert.equal(names(coinbaseBtc.body), "coinbase:BTC-EUR");
    // A newer price elsewhere moves a bare symbol to that market.
    await store.write({
      states: [],
      candles: [],
      latest: [latest("coinbase:BTC-EUR", 41_100, NOW - 1000)],
      publish: [],
    });
    assert.equal(names((await get(app, "/api/v1/candles/BTC")).body), "coinbase:BTC-EUR");
  });

  withApp(
    "candle and price answers are the store's through candleJson and latestPriceJson, byte for byte",
    async ({
      app,
    }, store) => {
      await fillMarkets(store);
      const cases: [path: string, query: CandleQuery][] = [
        ["/api/v1/candles/BTC-EUR", { ...marketOf("coinbase:BTC-EUR"), interval: "1m" }],
        ["/api/v1/candles/BTC", { ...marketOf("BTC"), interval: "1m" }],
        [
          "/api/v1/candles/BTC?interval=5m&limit=4&from=2025-11-12T10:05:00Z&to=2025-11-12T11:00:00Z",
          {
            ...marketOf("BTC"),
            interval: "5m",
            limit: 4,
            from: NOW - 115 * 60_000,
            to: NOW - 3_600_000,
          },
        ],
        ["/api/v1/candles/ETH?interval=1h", { ...marketOf("ETH"), interval: "1h" }],
      ];
      for (const [path, query] of cases) {
        const { symbol, quote } = marketOf(`${query.source}:${query.product}`);
        const candles = (await store.candles({ limit: 500, ...query })).map(candleJson);
        const expected = JSON.stringify({
          source: query.source,
          product: query.product,
          symbol,
          quote,
          interval: query.interval,
          candles,
        });
        const answer = await get(app, path);
        assert.equal(answer.status, 200, path);
        assert.equal(answer.text, expected, path);
      }
      const prices = (await store.latest()).map(latestPriceJson);
      assert.equal(prices.length, 3);
      assert.equal((await get(app, "/api/v1/prices/latest")).text, JSON.stringify({ prices }));
      assert.equal(
        (await get(app, "/api/v1/prices/latest?source=coinbase")).text,
        JSON.stringify({ prices: prices.filter((p) => p.source === "coinbase") }),
      );
      assert.equal(
        (await get(app, "/api/v1/prices/latest/BTC-EUR")).text,
        JSON.stringify(prices.find((p) => p.product === "BTC-EUR")),
      );
    },
  );

  withApp(
    "fill=previous: one candle per minute, quiet ones flat at the previous close, never stored",
    async ({ app }, store) => {
      const MINUTE = 60_000;
      const t0 = NOW - 60 * MINUTE;
      const at = (m: number) => new Date(t0 + m * MINUTE).toISOString();
      const trades = (m: number, close: number) =>
        candleOf("coinbase:ETH-EUR", t0 + m * MINUTE, close);
      // Minutes 2, 3 and 7 of the ten have trades; the last candle before them closed at 2990.
      const stored = [trades(-3, 2990), trades(2, 3001), trades(3, 3003), trades(7, 3007)];
      await store.write({
        states: [state("coinbase:ETH-EUR")],
        candles: stored,
        latest: [],
        publish: [],
      });
      const path = `/api/v1/candles/ETH-EUR?interval=1m&from=${at(0)}&to=${at(10)}&fill=previous`;
      const { status, body } = await get(app, path);
      assert.equal(status, 200);
      assert.equal(body.source, "coinbase");
      assert.equal(body.product, "ETH-EUR");
      const list = body.candles as Body[];
      assert.deepEqual(
        list.map((c) => c.window_start),
        Array.from({ length: 10 }, (_, m) => at(m)),
        "exactly one candle per minute",
      );
      const closes = [2990, 2990, 3001, 3003, 3003, 3003, 3003, 3007, 3007, 3007];
      list.forEach((c, m) => {
        const quiet = ![2, 3, 7].includes(m);
        assert.equal(c.close, closes[m], `minute ${m}`);
        assert.equal(c.filled, quiet ? true : undefined, `minute ${m} marked`);
        if (!quiet) {
          assert.equal(c.samples, 4);
          return;
        }
        assert.deepEqual(
          [c.open, c.high, c.low, c.close],
          [closes[m], closes[m], closes[m], closes[m]],
        );
        assert.deepEqual(
          [c.samples, c.trades, c.volume, c.buy_volume, c.sell_volume, c.vwap],
          [0, 0, 0, 0, 0, null],
        );
        assert.equal(c.window_end, at(m + 1));
        assert.equal(c.closed, true);
      });
      // Filled windows are made when read: the store holds the four candles it held.
      const rows = await store.candles({
        source: "coinbase",
        product: "ETH-EUR",
        interval: "1m",
        from: t0 - 10 * MINUTE,
        to: t0 + 20 * MINUTE,
      });
      assert.deepEqual(rows, stored);

      // At most `limit` windows: the latest ones.
      const three = await get(app, `${path}&limit=3`);
      assert.deepEqual(
        (three.body.candles as Body[]).map((c) => [c.window_start, c.close]),
        [[at(7), 3007], [at(8), 3007], [at(9), 3007]],
      );
      // Without `from` and `to`: the last `limit` windows up to the latest candle stored.
      const latestFive = await get(app, "/api/v1/candles/ETH-EUR?fill=previous&limit=5");
      assert.deepEqual(
        (latestFive.body.candles as Body[]).map((c) => [c.window_start, c.filled ?? false]),
        [[at(3), false], [at(4), true], [at(5), true], [at(6), true], [at(7), false]],
      );
      // Before a market's first candle there is no previous close: those windows are left out.
      const early = await get(
        app,
        `/api/v1/candles/ETH-EUR?from=${at(-8)}&to=${at(-1)}&fill=previous`,
      );
      assert.deepEqual(
        (early.body.candles as Body[]).map((c) => [c.window_start, c.close]),
        [[at(-3), 2990], [at(-2), 2990]],
      );
    },
  );

  withApp("fill=previous on a price market: volumes stay null; no window after now", async ({
    app,
  }) => {
    const MINUTE = 60_000;
    const at = (ms: number) => new Date(ms).toISOString();
    // ETH's ten candles run from NOW - 120 min; the fill goes on from their last close.
    const eth = await get(
      app,
      `/api/v1/candles/ETH?from=${at(NOW - 125 * MINUTE)}&to=${
        at(NOW - 105 * MINUTE)
      }&fill=previous`,
    );
    const list = eth.body.candles as Body[];
    assert.equal(list.length, 15, "5 windows before the first candle are left out");
    assert.equal(list[0]!.window_start, at(NOW - 120 * MINUTE));
    const quiet = list.slice(10);
    assert.ok(quiet.every((c) => c.filled === true && c.close === 3010 && c.open === 3010));
    assert.ok(quiet.every((c) => c.volume === null && c.buy_volume === null && c.trades === 0));
    // A `to` in the future stops at the current window, open (not closed).
    const now = await get(
      app,
      `/api/v1/candles/BTC?from=${at(NOW - 2 * MINUTE)}&to=${at(NOW + 10 * MINUTE)}&fill=previous`,
    );
    assert.deepEqual(
      (now.body.candles as Body[]).map((c) => [c.window_start, c.filled ?? false, c.closed]),
      [
        [at(NOW - 2 * MINUTE), false, true],
        [at(NOW - MINUTE), false, false],
        [at(NOW), true, false],
      ],
    );
  });

  withApp("symbols, prices, stats and alerts name their market and take ?source=", async ({
    app,
  }, store) => {
    await fillMarkets(store);
    const symbols = await get(app, "/api/v1/symbols?source=coinbase");
    assert.deepEqual(symbols.body.symbols, [{
      symbol: "BTC",
      source: "coinbase",
      product: "BTC-EUR",
      quote: "EUR",
      price_usd: 41_000.5,
      event_time: new Date(NOW - 60_000).toISOString(),
    }]);
    const prices = await get(app, "/api/v1/prices/latest");
    assert.deepEqual(
      (prices.body.prices as Body[]).map((p) => `${p.source}:${p.product}`).sort(),
      ["coinbase:BTC-EUR", "coingecko:BTC-USD", "coingecko:SOL-USD"],
    );
    const coinbasePrices = await get(app, "/api/v1/prices/latest?source=coinbase");
    assert.deepEqual(
      (coinbasePrices.body.prices as Body[]).map((p) => [p.product, p.price_usd, p.quote]),
      [["BTC-EUR", 41_000.5, "EUR"]],
    );
    const eur = await get(app, "/api/v1/prices/latest/BTC-EUR");
    assert.equal(eur.status, 200);
    assert.equal(eur.body.source, "coinbase");
    assert.equal(eur.body.price_usd, 41_000.5);
    const btc = await get(app, "/api/v1/prices/latest/BTC");
    assert.deepEqual([btc.body.source, btc.body.product], ["coingecko", "BTC-USD"]);
    const coinbaseBtc = await get(app, "/api/v1/prices/latest/BTC?source=coinbase");
    assert.deepEqual([coinbaseBtc.body.source, coinbaseBtc.body.product], ["coinbase", "BTC-EUR"]);
    const noPrice = await get(app, "/api/v1/prices/latest/BTC-USD?source=coinbase");
    assert.equal(noPrice.status, 404);
    assert.equal(noPrice.body.error, "No price for BTC-USD on coinbase yet");

    const stats = await get(app, "/api/v1/stats/BTC-EUR?window=10m");
    assert.equal(stats.status, 200);
    assert.deepEqual(
      [stats.body.source, stats.body.product, stats.body.quote, stats.body.interval],
      ["coinbase", "BTC-EUR", "EUR", "1m"],
    );
    assert.deepEqual([stats.body.open, stats.body.last], [41_020, 41_034]);
    const geckoStats = await get(app, "/api/v1/stats/BTC?window=10m&source=coingecko");
    assert.deepEqual([geckoStats.body.product, geckoStats.body.last], ["BTC-USD", 45_120]);

    const alerts = await get(app, "/api/v1/alerts?source=coinbase");
    assert.deepEqual(
      (alerts.body.alerts as Body[]).map((a) => [a.source, a.product, a.price]),
      [["coinbase", "BTC-EUR", 41_300]],
    );
    const btcAlerts = await get(app, "/api/v1/alerts?symbol=BTC");
    assert.deepEqual(
      (btcAlerts.body.alerts as Body[]).map((a) => `${a.source}:${a.product}`),
      ["coinbase:BTC-EUR", "coingecko:BTC-USD"],
    );
    const usdAlerts = await get(app, "/api/v1/alerts?product=BTC-USD");
    assert.deepEqual(
      (usdAlerts.body.alerts as Body[]).map((a) => `${a.source}:${a.product}`),
      ["coingecko:BTC-USD"],
    );
  });

  withApp("with a token, /api routes need it and the others do not", async ({ app }) => {
    const missing = await get(app, "/api/v1/symbols");
    assert.equal(missing.status, 401);
    assertOneSentence(missing.body.error, ["Authorization", "Bearer"]);
    assert.doesNotMatch(missing.text, /s3cret-token/);
    const wrong = await get(app, "/api/v1/symbols", {
      headers: { authorization: "Bearer s3cret-tokeN-123" },
    });
    assert.equal(wrong.status, 401);
    const right = await get(app, "/api/v1/symbols", {
      headers: { authorization: "Bearer s3cret-token-123" },
    });
    assert.equal(right.status, 200);
    assert.equal((await get(app, "/api/v1/stream")).status, 401);
    assert.equal((await get(app, "/healthz")).status, 200);
    assert.equal((await app.request("/")).status, 200);
  }, { token: "s3cret-token-123" });

  withApp("a store that fails gives 503 with one sentence", async ({ app }, store) => {
    await store.close();
    const { status, body } = await get(app, "/api/v1/symbols");
    assert.equal(status, 503);
    assertOneSentence(body.error, ["store"]);
    const ready = await get(app, "/readyz");
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, "not ready");
    assert.match((ready.body.reasons as string[])[0]!, /^store: /);
  });
}

const [sqlite, pg] = STORES;
apiTests(sqlite!.name, sqlite!.open, (name, fn) => Deno.test(name, fn));
apiTests(pg!.name, pg!.open, postgresTest);
