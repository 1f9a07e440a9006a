/**
 * `GET /api/v1/candles/{symbol}?interval=1m&from=&to=&limit=`: candles ascending by
 * `window_start`, open ones included (`closed: false`).
 *
 * @module
 */
import { Hono } from "hono";
import { candleJson } from "../../market/messages/candle_message.ts";
import type { CandleStore } from "../../store/candle_store.ts";
import type { KnownSymbols } from "../known_symbols.ts";
import {
  checkQueryNames,
  checkRange,
  parseInterval,
  parseLimit,
  parseSymbol,
  parseTime,
} from "../params.ts";
import { json } from "../respond.ts";
import type { ResponseCache } from "../response_cache.ts";

/** What the candle route needs. */
export interface CandleRoutesDeps {
  /** The store. */
  store: Pick<CandleStore, "candles">;
  /** The symbols known. */
  symbols: KnownSymbols;
  /** The answer cache. */
  cache: ResponseCache;
}

/** The most candles one request may ask for. */
export const MAX_CANDLES = 5000;

/**
 * The candle route.
 *
 * @param deps The store, the symbols known and the cache.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function candleRoutes(deps: CandleRoutesDeps): Hono {
  const { store, symbols, cache } = deps;
  return new Hono().get("/candles/:symbol", async (c) => {
    const query = c.req.query();
    checkQueryNames(query, ["interval", "from", "to", "limit"]);
    const symbol = parseSymbol(c.req.param("symbol"), await symbols.get());
    const interval = parseInterval(query.interval);
    const from = parseTime("from", query.from);
    const to = parseTime("to", query.to);
    checkRange(from, to);
    const limit = parseLimit(query.limit, { fallback: 500, max: MAX_CANDLES });
    const key = `candles ${symbol} ${interval} ${from ?? "-"} ${to ?? "-"} ${limit}`;
    const body = await cache.json(`candles ${symbol}`, key, async () => {
      const candles = await store.candles({
        symbol,
        interval,
        limit,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
      });
      return { symbol, interval, candles: candles.map(candleJson) };
    });
    return json(body);
  });
}
