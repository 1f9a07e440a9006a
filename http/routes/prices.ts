/**
 * `GET /api/v1/prices/latest?source=` and `GET /api/v1/prices/latest/{market}?source=`: the latest
 * price of every market, or of one (a product, or a symbol for its market with the most recent
 * price).
 *
 * @module
 */
import { Hono } from "hono";
import type { LatestPriceJson } from "../../market/messages/latest_price_message.ts";
import { type Market, marketKey } from "../../market/market.ts";
import { HttpError } from "../http_error.ts";
import type { KnownMarkets } from "../known_markets.ts";
import { checkQueryNames, parseMarket, parseSource } from "../params.ts";
import { jsonText } from "../respond.ts";
import type { ResponseCache } from "../response_cache.ts";

/** What the price routes need. */
export interface PriceRoutesDeps {
  /** The store: its latest prices as their JSON. */
  store: { latestJson: (market?: Market) => Promise<LatestPriceJson[]> };
  /** The markets known. */
  markets: KnownMarkets;
  /** The answer cache. */
  cache: ResponseCache;
}

/**
 * The latest-price routes.
 *
 * @param deps The store, the markets known and the cache.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function priceRoutes(deps: PriceRoutesDeps): Hono {
  const { store, markets, cache } = deps;
  return new Hono()
    .get("/prices/latest", async (c) => {
      const query = c.req.query();
      checkQueryNames(query, ["source"]);
      const source = parseSource(query.source);
      const body = await cache.json("prices", `prices ${source ?? "-"}`, async () => ({
        prices: (await store.latestJson())
          .filter((p) => source === undefined || p.source === source),
      }));
      return jsonText(body);
    })
    .get("/prices/latest/:market", async (c) => {
      const query = c.req.query();
      checkQueryNames(query, ["source"]);
      const source = parseSource(query.source);
      const market = parseMarket(c.req.param("market"), await markets.get(), source);
      const body = await cache.json("prices", `prices ${marketKey(market)}`, async () => {
        return (await store.latestJson(market))[0] ?? null;
      });
      // The cached answer is the JSON `null` when the market has candles but no price yet.
      if (body === "null") {
        throw new HttpError(404, `No price for ${market.product} on ${market.source} yet`);
      }
      return jsonText(body);
    });
}
