/**
 * `GET /api/v1/symbols?source=`: the symbols known, each with the market a bare symbol names (its
 * market with the most recent price) and that market's latest price and event time.
 *
 * @module
 */
import { Hono } from "hono";
import type { CandleStore, KnownMarket } from "../../store/candle_store.ts";
import { byPreference } from "../known_markets.ts";
import { checkQueryNames, parseSource } from "../params.ts";
import { jsonText } from "../respond.ts";
import type { ResponseCache } from "../response_cache.ts";

/** What the symbols route needs. */
export interface SymbolRoutesDeps {
  /** The store. */
  store: Pick<CandleStore, "markets">;
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
    const query = c.req.query();
    checkQueryNames(query, ["source"]);
    const source = parseSource(query.source);
    const body = await cache.json("markets", `symbols ${source ?? "-"}`, async () => {
      const bySymbol = new Map<string, KnownMarket>();
      const known = (await store.markets())
        .filter((m) => source === undefined || m.source === source)
        .sort(byPreference);
      for (const m of known) if (!bySymbol.has(m.symbol)) bySymbol.set(m.symbol, m);
      return {
        symbols: [...bySymbol.values()]
          .sort((a, b) => a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)
          .map((m) => ({
            symbol: m.symbol,
            source: m.source,
            product: m.product,
            quote: m.quote,
            price_usd: m.priceUsd,
            event_time: m.eventTime === null ? null : new Date(m.eventTime).toISOString(),
          })),
      };
    });
    return jsonText(body);
  });
}
