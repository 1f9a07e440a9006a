/**
 * `GET /api/v1/candles/{market}?interval=1m&from=&to=&limit=&source=&fill=`: a market's candles
 * ascending by `window_start`, open ones included (`closed: false`). `{market}` is a product
 * (`BTC-EUR`) or a symbol (`BTC`, its market with the most recent price); `source` picks among
 * the sources. With `fill=previous`, one candle per window, a quiet one flat at the previous close
 * and marked `"filled": true` (docs/api.md#gap-filling).
 *
 * @module
 */
import { Hono } from "hono";
import { type Candle, type Interval, intervalMs } from "../../market/candle.ts";
import type { CandleJson } from "../../market/messages/candle_message.ts";
import { marketKey } from "../../market/market.ts";
import type { CandleQuery, CandleStore, KnownMarket } from "../../store/candle_store.ts";
import { fillPrevious } from "../candle_fill.ts";
import type { KnownMarkets } from "../known_markets.ts";
import {
  checkQueryNames,
  checkRange,
  parseFill,
  parseInterval,
  parseLimit,
  parseMarket,
  parseSource,
  parseTime,
} from "../params.ts";
import { jsonText } from "../respond.ts";
import type { ResponseCache } from "../response_cache.ts";

/** What the candle route needs. */
export interface CandleRoutesDeps {
  /** The store: its candles, and the same as their JSON. */
  store: Pick<CandleStore, "candles"> & {
    candlesJson: (query: CandleQuery) => Promise<CandleJson[]>;
  };
  /** The markets known. */
  markets: KnownMarkets;
  /** The answer cache. */
  cache: ResponseCache;
  /** The wall clock, ms since the epoch. */
  now: () => number;
}

/** The most candles one request may ask for. */
export const MAX_CANDLES = 5000;

/** What a candle request asks for, checked. */
interface CandleRequest {
  market: KnownMarket;
  interval: Interval;
  from: number | undefined;
  to: number | undefined;
  limit: number;
}

const queryOf = (
  r: CandleRequest,
  span: Partial<CandleQuery> & { limit: number },
): CandleQuery => ({
  source: r.market.source,
  product: r.market.product,
  interval: r.interval,
  ...span,
});

/**
 * The windows of a filled answer and their candles. The span is the windows starting at or after
 * `from` and before `to`, the current window the last (later ones have not happened); without
 * `to`, it ends with the latest candle stored; without `from`, or when longer than `limit`, it is
 * its last `limit` windows. A quiet first window takes the close of the last candle before the
 * span: one more read, of one candle.
 */
async function filled(
  store: Pick<CandleStore, "candles">,
  r: CandleRequest,
  now: number,
): Promise<unknown[]> {
  const size = intervalMs(r.interval);
  let end: number;
  let read: Candle[] | null = null;
  if (r.to !== undefined) {
    end = Math.min(r.to, Math.floor(now / size) * size + size);
  } else {
    read = await store.candles(queryOf(r, {
      limit: r.limit,
      ...(r.from === undefined ? {} : { from: r.from }),
    }));
    const last = read.at(-1);
    if (last === undefined) return [];
    end = last.windowStart + size;
  }
  // Window starts run from the first aligned one at or after `from` to the last before `end`.
  const lastStart = Math.ceil(end / size) * size - size;
  const earliest = lastStart - (r.limit - 1) * size;
  const start = r.from === undefined
    ? earliest
    : Math.max(earliest, Math.ceil(r.from / size) * size);
  if (start > lastStart) return [];
  const stored = read === null
    ? await store.candles(queryOf(r, { from: start, to: lastStart + size, limit: r.limit }))
    : read.filter((c) => c.windowStart >= start);
  const previous = stored[0]?.windowStart === start
    ? null
    : (await store.candles(queryOf(r, { to: start, limit: 1 })))[0] ?? null;
  return fillPrevious(
    { market: r.market, interval: r.interval, start, end: lastStart + size, now },
    stored,
    previous,
  );
}

/**
 * The candle route.
 *
 * @param deps The store, the markets known, the cache and the clock.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function candleRoutes(deps: CandleRoutesDeps): Hono {
  const { store, markets, cache, now } = deps;
  return new Hono().get("/candles/:market", async (c) => {
    const query = c.req.query();
    checkQueryNames(query, ["interval", "from", "to", "limit", "source", "fill"]);
    const source = parseSource(query.source);
    const interval = parseInterval(query.interval);
    const from = parseTime("from", query.from);
    const to = parseTime("to", query.to);
    checkRange(from, to);
    const limit = parseLimit(query.limit, { fallback: 500, max: MAX_CANDLES });
    const fill = parseFill(query.fill);
    const market = parseMarket(c.req.param("market"), await markets.get(), source);
    const request: CandleRequest = { market, interval, from, to, limit };
    const id = marketKey(market);
    const key = `candles ${id} ${interval} ${from ?? "-"} ${to ?? "-"} ${limit} ${fill ?? "-"}`;
    const body = await cache.json(`candles ${id}`, key, async () => {
      const candles = fill === null
        ? await store.candlesJson(queryOf(request, {
          limit,
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
        }))
        : await filled(store, request, now());
      return {
        source: market.source,
        product: market.product,
        symbol: market.symbol,
        quote: market.quote,
        interval,
        ...(fill === null ? {} : { fill }),
        candles,
      };
    });
    return jsonText(body);
  });
}
