/**
 * `GET /api/v1/prices/latest` and `GET /api/v1/prices/latest/{symbol}`.
 *
 * @module
 */
import { Hono } from "hono";
import { latestPriceJson } from "../../market/messages/latest_price_message.ts";
import type { CandleStore } from "../../store/candle_store.ts";
import { HttpError } from "../http_error.ts";
import type { KnownSymbols } from "../known_symbols.ts";
import { checkQueryNames, parseSymbol } from "../params.ts";
import { json } from "../respond.ts";
import type { ResponseCache } from "../response_cache.ts";

/** What the price routes need. */
export interface PriceRoutesDeps {
  /** The store. */
  store: Pick<CandleStore, "latest">;
  /** The symbols known. */
  symbols: KnownSymbols;
  /** The answer cache. */
  cache: ResponseCache;
}

/**
 * The latest-price routes.
 *
 * @param deps The store, the symbols known and the cache.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function priceRoutes(deps: PriceRoutesDeps): Hono {
  const { store, symbols, cache } = deps;
  return new Hono()
    .get("/prices/latest", async (c) => {
      checkQueryNames(c.req.query(), []);
      const body = await cache.json("prices", "prices", async () => ({
        prices: (await store.latest()).map(latestPriceJson),
      }));
      return json(body);
    })
    .get("/prices/latest/:symbol", async (c) => {
      checkQueryNames(c.req.query(), []);
      const symbol = parseSymbol(c.req.param("symbol"), await symbols.get());
      const body = await cache.json("prices", `prices ${symbol}`, async () => {
        const price = (await store.latest(symbol))[0];
        return price === undefined ? null : latestPriceJson(price);
      });
      // The cached answer is the JSON `null` when the symbol has candles but no price yet.
      if (body.length === 4 && body[0] === 0x6e) {
        throw new HttpError(404, `No price for ${symbol} yet`);
      }
      return json(body);
    });
}
