/**
 * `GET /api/v1/alerts?symbol=&since=&limit=`: alerts, newest first.
 *
 * @module
 */
import { Hono } from "hono";
import { alertJson } from "../../market/messages/alert_message.ts";
import type { AlertQuery, CandleStore } from "../../store/candle_store.ts";
import type { KnownSymbols } from "../known_symbols.ts";
import { checkQueryNames, parseLimit, parseSymbol, parseTime } from "../params.ts";
import { json } from "../respond.ts";
import type { ResponseCache } from "../response_cache.ts";

/** What the alerts route needs. */
export interface AlertRoutesDeps {
  /** The store. */
  store: Pick<CandleStore, "alerts">;
  /** The symbols known. */
  symbols: KnownSymbols;
  /** The answer cache. */
  cache: ResponseCache;
}

/**
 * The alerts route.
 *
 * @param deps The store, the symbols known and the cache.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function alertRoutes(deps: AlertRoutesDeps): Hono {
  const { store, symbols, cache } = deps;
  return new Hono().get("/alerts", async (c) => {
    const query = c.req.query();
    checkQueryNames(query, ["symbol", "since", "limit"]);
    const symbol = query.symbol === undefined
      ? undefined
      : parseSymbol(query.symbol, await symbols.get());
    const since = parseTime("since", query.since);
    const limit = parseLimit(query.limit, { fallback: 100, max: 1000 });
    const request: AlertQuery = {
      limit,
      ...(symbol === undefined ? {} : { symbol }),
      ...(since === undefined ? {} : { since }),
    };
    const key = `alerts ${symbol ?? "-"} ${since ?? "-"} ${limit}`;
    const body = await cache.json("alerts", key, async () => ({
      alerts: (await store.alerts(request)).map(alertJson),
    }));
    return json(body);
  });
}
