/**
 * `GET /api/v1/stream?symbols=BTC,ETH`: Server-Sent Events from the live hub (`price`, `candle`,
 * `alert`, `pipeline`), a heartbeat comment every 15 s, and the events a reconnecting client
 * missed (`Last-Event-ID`, or `lastEventId` in the query) while they are still buffered.
 *
 * @module
 */
import { Hono } from "hono";
import type { LiveHub } from "../live_hub.ts";
import { checkQueryNames, parseSymbolList } from "../params.ts";

/** What the stream route needs. */
export interface StreamRoutesDeps {
  /** The live hub. */
  hub: LiveHub;
}

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  "x-accel-buffering": "no",
  "x-content-type-options": "nosniff",
};

/**
 * The stream route.
 *
 * @param deps The hub.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function streamRoutes(deps: StreamRoutesDeps): Hono {
  const { hub } = deps;
  return new Hono().get("/stream", (c) => {
    const query = c.req.query();
    checkQueryNames(query, ["symbols", "lastEventId"]);
    const symbols = query.symbols === undefined ? null : parseSymbolList("symbols", query.symbols);
    const lastEventId = c.req.header("last-event-id") ?? query.lastEventId ?? null;
    return new Response(hub.subscribe({ symbols, lastEventId }), { headers: SSE_HEADERS });
  });
}
