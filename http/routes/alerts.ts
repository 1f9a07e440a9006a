/**
 * `GET /api/v1/alerts?symbol=&product=&source=&since=&limit=`: alerts, newest first; of one base
 * currency's markets (`symbol`), one product's, one source's, or all.
 *
 * @module
 */
import { Hono } from "hono";
import { alertJson } from "../../market/messages/alert_message.ts";
import type { AlertQuery, CandleStore } from "../../store/candle_store.ts";
import type { KnownMarkets } from "../known_markets.ts";
import {
  checkQueryNames,
  parseLimit,
  parseProduct,
  parseSource,
  parseSymbol,
  parseTime,
} from "../params.ts";
import { jsonText } from "../respond.ts";
import type { ResponseCache } from "../response_cache.ts";

/** What the alerts route needs. */
export interface AlertRoutesDeps {
  /** The store. */
  store: Pick<CandleStore, "alerts">;
  /** The markets known. */
  markets: KnownMarkets;
  /** The answer cache. */
  cache: ResponseCache;
}

/**
 * The alerts route.
 *
 * @param deps The store, the markets known and the cache.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function alertRoutes(deps: AlertRoutesDeps): Hono {
  const { store, markets, cache } = deps;
  return new Hono().get("/alerts", async (c) => {
    const query = c.req.query();
    checkQueryNames(query, ["symbol", "product", "source", "since", "limit"]);
    const source = parseSource(query.source);
    const since = parseTime("since", query.since);
    const limit = parseLimit(query.limit, { fallback: 100, max: 1000 });
    const known = query.symbol === undefined && query.product === undefined
      ? []
      : await markets.get();
    const symbol = query.symbol === undefined
      ? undefined
      : parseSymbol(query.symbol, new Set(known.map((m) => m.symbol)));
    const product = query.product === undefined
      ? undefined
      : parseProduct(query.product, new Set(known.map((m) => m.product)));
    const request: AlertQuery = {
      limit,
      ...(symbol === undefined ? {} : { symbol }),
      ...(product === undefined ? {} : { product }),
      ...(source === undefined ? {} : { source }),
      ...(since === undefined ? {} : { since }),
    };
    const key = `alerts ${symbol ?? "-"} ${product ?? "-"} ${source ?? "-"} ${
      since ?? "-"
    } ${limit}`;
    const body = await cache.json("alerts", key, async () => ({
      alerts: (await store.alerts(request)).map(alertJson),
    }));
    return jsonText(body);
  });
}
