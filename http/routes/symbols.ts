/**
 * `GET /api/v1/symbols`: the symbols known, with their latest price and event time.
 *
 * @module
 */
import { Hono } from "hono";
import type { CandleStore } from "../../store/candle_store.ts";
import { checkQueryNames } from "../params.ts";
import { json } from "../respond.ts";
import type { ResponseCache } from "../response_cache.ts";

/** What the symbols route needs. */
export interface SymbolRoutesDeps {
  /** The store. */
  store: Pick<CandleStore, "symbols">;
  /** The answer cache. */
  cache: ResponseCache;
}

/**
 * The symbols route.
 *
 * @param deps The store and the cache.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function symbolRoutes(deps: SymbolRoutesDeps): Hono {
  const { store, cache } = deps;
  return new Hono().get("/symbols", async (c) => {
    checkQueryNames(c.req.query(), []);
    const body = await cache.json("prices", "symbols", async () => ({
      symbols: (await store.symbols()).map((s) => ({
        symbol: s.symbol,
        price_usd: s.priceUsd,
        event_time: s.eventTime === null ? null : new Date(s.eventTime).toISOString(),
      })),
    }));
    return json(body);
  });
}
