/**
 * `GET /api/v1/stream?symbols=BTC,ETH&markets=coinbase:BTC-EUR`: Server-Sent Events from the live
 * hub (`price`, `candle`, `alert`, each naming its `source` and `product`, and `pipeline`), only
 * those of the symbols (every market of each) or markets named when any are; a heartbeat comment
 * every 15 s, and the events a reconnecting client missed (`Last-Event-ID`, or `lastEventId` in
 * the query) while they are still buffered. At most `maxStreams` clients at once: one more gets
 * 503 until one leaves. A HEAD request gets the headers and opens no stream.
 *
 * @module
 */
import { Hono } from "hono";
import type { LiveHub } from "../live_hub.ts";
import { checkQueryNames, parseMarketList, parseSymbolList } from "../params.ts";
import { JSON_HEADERS } from "../respond.ts";

/** What the stream route needs. */
export interface StreamRoutesDeps {
  /** The live hub. */
  hub: LiveHub;
  /** Clients at once (`HTTP_MAX_STREAMS`). */
  maxStreams: number;
}

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  "x-accel-buffering": "no",
  "x-content-type-options": "nosniff",
};

const encoder = new TextEncoder();

/**
 * The stream route.
 *
 * @param deps The hub and the most clients at once.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function streamRoutes(deps: StreamRoutesDeps): Hono {
  const { hub, maxStreams } = deps;
  // Not an HttpError: a crowd of clients turned away is not logged one line each.
  const full = encoder.encode(JSON.stringify({
    error:
      `Too many live stream clients: at most ${maxStreams} at once (HTTP_MAX_STREAMS); try again shortly`,
  }));
  return new Hono().get("/stream", (c) => {
    const query = c.req.query();
    checkQueryNames(query, ["symbols", "markets", "lastEventId"]);
    const symbols = query.symbols === undefined ? null : parseSymbolList("symbols", query.symbols);
    const markets = query.markets === undefined ? null : parseMarketList("markets", query.markets);
    const lastEventId = c.req.header("last-event-id") ?? query.lastEventId ?? null;
    if (hub.stats.clients >= maxStreams) {
      return new Response(full, { status: 503, headers: { ...JSON_HEADERS, "retry-after": "5" } });
    }
    if (c.req.method === "HEAD") return new Response(null, { headers: SSE_HEADERS });
    return new Response(hub.subscribe({ symbols, markets, lastEventId }), { headers: SSE_HEADERS });
  });
}
