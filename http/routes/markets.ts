/**
 * `GET /api/v1/markets?source=`: every market known (a source and a product), with its base and
 * quote currencies, latest price (in the quote currency) and its event time, and the intervals of
 * its candles.
 *
 * @module
 */
import { Hono } from "hono";
import type { CandleStore } from "../../store/candle_store.ts";
import { checkQueryNames, parseSource } from "../params.ts";
import { jsonText } from "../respond.ts";
import type { ResponseCache } from "../response_cache.ts";

/** What the markets route needs. */
export interface MarketRoutesDeps {
  /** The store. */
  store: Pick<CandleStore, "markets">;
  /** The answer cache. */
  cache: ResponseCache;
}

/**
 * The markets route.
 *
 * @param deps The store and the cache.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function marketRoutes(deps: MarketRoutesDeps): Hono {
  const { store, cache } = deps;
  return new Hono().get("/markets", async (c) => {
    const query = c.req.query();
    checkQueryNames(query, ["source"]);
    const source = parseSource(query.source);
    const body = await cache.json("markets", `markets ${source ?? "-"}`, async () => ({
      markets: (await store.markets())
        .filter((m) => source === undefined || m.source === source)
        .sort((a, b) =>
          a.product < b.product ? -1 : a.product > b.product ? 1 : a.source < b.source ? -1 : 1
        )
        .map((m) => ({
          source: m.source,
          product: m.product,
          symbol: m.symbol,
          quote: m.quote,
          price: m.priceUsd,
          event_time: m.eventTime === null ? null : new Date(m.eventTime).toISOString(),
          intervals: m.intervals,
        })),
    }));
    return jsonText(body);
  });
}
