/**
 * `GET /api/v1/stats/{market}?window=24h&source=`: low, high, open, last, change % and samples
 * over the last window, from the finest candles of the market that cover it. `{market}` is a
 * product (`BTC-EUR`) or a symbol (`BTC`, its market with the most recent price).
 *
 * @module
 */
import { Hono } from "hono";
import { type Candle, type Interval, intervalMs, INTERVALS } from "../../market/candle.ts";
import { marketKey, type Source } from "../../market/market.ts";
import type { CandleStore } from "../../store/candle_store.ts";
import type { KnownMarkets } from "../known_markets.ts";
import { checkQueryNames, parseMarket, parseSource, parseWindow } from "../params.ts";
import { jsonText } from "../respond.ts";
import type { ResponseCache } from "../response_cache.ts";
import { MAX_CANDLES } from "./candles.ts";

/** What the statistics route needs. */
export interface StatsRoutesDeps {
  /** The store. */
  store: Pick<CandleStore, "candles">;
  /** The markets known. */
  markets: KnownMarkets;
  /** The answer cache. */
  cache: ResponseCache;
  /** The wall clock, ms since the epoch. */
  now: () => number;
}

/** The statistics of one market over one window; prices in its quote currency. */
export interface StatsJson {
  source: Source;
  product: string;
  symbol: string;
  quote: string;
  window: string;
  from: string;
  to: string;
  interval: Interval | null;
  open: number | null;
  high: number | null;
  low: number | null;
  last: number | null;
  change_pct: number | null;
  samples: number;
}

/**
 * Folds candles (ascending) into statistics.
 *
 * @param candles The candles of the window, ascending by `windowStart`.
 * @returns Open, high, low, last, change % (4 decimals) and samples; nulls when there are none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { foldStats } from "./stats.ts";
 * const c = { source: "coingecko" as const, product: "BTC-USD", symbol: "BTC", quote: "USD",
 *   interval: "1m" as const, windowStart: 0, windowEnd: 60_000, open: 100,
 *   high: 110, low: 95, close: 105, samples: 3, trades: 3, volume: null, buyVolume: null, sellVolume: null, vwap: null, firstEvent: 0,
 *   lastEvent: 0, closed: true, revision: 0 };
 * assert.equal(foldStats([c]).change_pct, 5);
 * ```
 */
export function foldStats(
  candles: readonly Candle[],
): Pick<StatsJson, "open" | "high" | "low" | "last" | "change_pct" | "samples"> {
  const first = candles[0];
  const last = candles.at(-1);
  if (first === undefined || last === undefined) {
    return { open: null, high: null, low: null, last: null, change_pct: null, samples: 0 };
  }
  let high = -Infinity;
  let low = Infinity;
  let samples = 0;
  for (const c of candles) {
    high = Math.max(high, c.high);
    low = Math.min(low, c.low);
    samples += c.samples;
  }
  const change = Math.round(((last.close - first.open) / first.open) * 100 * 10_000) / 10_000;
  return { open: first.open, high, low, last: last.close, change_pct: change, samples };
}

/**
 * The statistics route.
 *
 * @param deps The store, the markets known, the cache and the clock.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function statsRoutes(deps: StatsRoutesDeps): Hono {
  const { store, markets, cache, now } = deps;
  return new Hono().get("/stats/:market", async (c) => {
    const query = c.req.query();
    checkQueryNames(query, ["window", "source"]);
    const source = parseSource(query.source);
    const window = parseWindow(query.window);
    const market = parseMarket(c.req.param("market"), await markets.get(), source);
    const { symbol, product, quote } = market;
    const id = marketKey(market);
    const body = await cache.json(
      `candles ${id}`,
      `stats ${id} ${window.text}`,
      async () => {
        const to = now();
        const from = to - window.ms;
        // The finest interval that covers the window in one query and has candles there.
        let candles: Candle[] = [];
        let used: Interval | null = null;
        for (const interval of INTERVALS) {
          if (window.ms / intervalMs(interval) > MAX_CANDLES) continue;
          const start = Math.floor(from / intervalMs(interval)) * intervalMs(interval);
          candles = (await store.candles({
            source: market.source,
            product,
            interval,
            from: start,
            limit: MAX_CANDLES,
          }))
            .filter((k) => k.windowEnd > from);
          if (candles.length > 0) {
            used = interval;
            break;
          }
        }
        const stats: StatsJson = {
          source: market.source,
          product,
          symbol,
          quote,
          window: window.text,
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          interval: used,
          ...foldStats(candles),
        };
        return stats;
      },
    );
    return jsonText(body);
  });
}
