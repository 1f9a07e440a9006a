/**
 * The HTTP API, live stream, probes, metrics and dashboard of docs/api.md as one Hono app. It knows
 * nothing of the runtime: it speaks `Request`/`Response`, and the entry point serves it with
 * `Deno.serve(app.fetch)`.
 *
 * Every request passes, in this order:
 *
 * - the request counter of `/metrics`, whose labels come from fixed lists (the app's routes or
 *   `unmatched`; `GET`, `HEAD` or `other`; `2xx` to `5xx`), so no request adds a series;
 * - without a token (the server then listens on loopback: the configuration refuses any other
 *   address without one), the `Host` check: a `Host` other than `localhost`, a 127.x.x.x address
 *   or `[::1]` (any port) gets 421, so a page whose name an attacker's DNS points at 127.0.0.1
 *   (DNS rebinding) reads nothing, the dashboard and probes included. With a token any `Host` is
 *   served: the server may be reached by any name, and `/api` asks for the token, which a page
 *   of another origin does not have;
 * - the method check: any method but GET and HEAD gets 405 with `Allow: GET, HEAD`;
 * - with a token, the token check on `/api`.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { Hono } from "hono";
import { type Market, marketKey } from "../market/market.ts";
import { type CandleJson, candleJson } from "../market/messages/candle_message.ts";
import { type LatestPriceJson, latestPriceJson } from "../market/messages/latest_price_message.ts";
import type { CandleQuery, CandleStore } from "../store/candle_store.ts";
import type { DashboardAssets } from "./dashboard_assets.ts";
import { HttpError, quoteValue } from "./http_error.ts";
import { KnownMarkets } from "./known_markets.ts";
import type { LiveHub } from "./live_hub.ts";
import { authorityOf, isLoopbackHost } from "./loopback_host.ts";
import { type Metrics, UNMATCHED_ROUTE } from "./metrics.ts";
import { type PipelineProvider, PipelineRates } from "./pipeline_snapshot.ts";
import { json } from "./respond.ts";
import { ResponseCache } from "./response_cache.ts";
import { alertRoutes } from "./routes/alerts.ts";
import { candleRoutes } from "./routes/candles.ts";
import { dashboardRoutes } from "./routes/dashboard.ts";
import { marketRoutes } from "./routes/markets.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { pipelineRoutes } from "./routes/pipeline.ts";
import { priceRoutes } from "./routes/prices.ts";
import { probeRoutes, type ReadinessCheck } from "./routes/probes.ts";
import { statsRoutes } from "./routes/stats.ts";
import { streamRoutes } from "./routes/stream.ts";
import { symbolRoutes } from "./routes/symbols.ts";

/**
 * What the API reads of the store. A store may also answer candles and latest prices as their
 * JSON (what `candles()` and `latest()` give mapped through `candleJson` and `latestPriceJson`)
 * by `candlesJson` and `latestJson`, when it can do so more cheaply (the SQLite store keeps times
 * as the very text the answer shows).
 */
export type ApiStore = Pick<CandleStore, "markets" | "latest" | "candles" | "alerts"> & {
  candlesJson?: (query: CandleQuery) => Promise<CandleJson[]>;
  latestJson?: (market?: Market) => Promise<LatestPriceJson[]>;
};

/** The store's reads as the routes call them, `candlesJson` and `latestJson` always there. */
export type ApiReads = Required<ApiStore>;

/** What {@linkcode createApp} needs. */
export interface AppDeps {
  /** The candle store. */
  store: ApiStore;
  /** The live hub the stream reads. */
  hub: LiveHub;
  /** The pipeline's counters, for `/api/v1/pipeline`. */
  pipeline: PipelineProvider;
  /**
   * Works out the pipeline's rates; the server shares one with its stream events and samples it
   * every second, so a first request already gets the rates of the last seconds.
   * @default {new PipelineRates()}
   */
  rates?: PipelineRates;
  /** The checks behind `/readyz`, by name (`source`, `broker`, `store`…). */
  readiness: Readonly<Record<string, ReadinessCheck>>;
  /** The registry behind `/metrics`; the app counts its requests there. */
  metrics: Metrics;
  /** The dashboard page and assets. */
  dashboard: DashboardAssets;
  /**
   * When set, every `/api` request must carry `Authorization: Bearer <token>`, and any `Host` is
   * served; when null, only a loopback `Host` is (421 otherwise). @default {null}
   */
  token?: string | null;
  /** Live stream clients at once; one more gets 503. @default {1000} */
  maxStreams?: number;
  /** How long an answer from the store is reused, in milliseconds; 0 for never. @default {1000} */
  cacheMs?: number;
  /** Time a readiness check may take, in milliseconds. @default {2000} */
  readinessTimeoutMs?: number;
  /** The wall clock, ms since the epoch. @default {Date.now} */
  now?: () => number;
}

const log = getLogger(["crypto", "http"]);

/** Compares two texts in time that depends only on their lengths (for the token). */
function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/**
 * The store's read methods, a failure of each turned into a 503 with one sentence; for a store
 * without `candlesJson` or `latestJson`, they map `candles()` or `latest()` to their JSON.
 */
function guarded(store: ApiStore): ApiReads {
  const fail = (error: unknown): never => {
    throw new HttpError(503, "The store did not answer: try again shortly", { cause: error });
  };
  // A store that throws rather than rejects is answered alike.
  const call = <T>(read: () => Promise<T>): Promise<T> => Promise.resolve().then(read).catch(fail);
  return {
    markets: () => call(() => store.markets()),
    latest: (market) => call(() => store.latest(market)),
    latestJson: (market) =>
      call(() =>
        store.latestJson === undefined
          ? store.latest(market).then((prices) => prices.map(latestPriceJson))
          : store.latestJson(market)
      ),
    candles: (query) => call(() => store.candles(query)),
    candlesJson: (query) =>
      call(() =>
        store.candlesJson === undefined
          ? store.candles(query).then((candles) => candles.map(candleJson))
          : store.candlesJson(query)
      ),
    alerts: (query) => call(() => store.alerts(query)),
  };
}

/**
 * Builds the app from its route modules.
 *
 * @param deps The store, hub, pipeline provider, readiness checks, metrics, dashboard and token.
 * @returns The Hono app; serve it with `Deno.serve(app.fetch)`, test it with `app.request(...)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "./app.ts";
 * import { LiveHub } from "./live_hub.ts";
 * import { Metrics } from "./metrics.ts";
 * import { NO_PIPELINE } from "./pipeline_snapshot.ts";
 * const app = createApp({
 *   store: {
 *     markets: () => Promise.resolve([]), latest: () => Promise.resolve([]),
 *     candles: () => Promise.resolve([]), alerts: () => Promise.resolve([]),
 *   },
 *   hub: new LiveHub(),
 *   pipeline: () => NO_PIPELINE,
 *   readiness: {},
 *   metrics: new Metrics({ pipeline: () => NO_PIPELINE }),
 *   dashboard: { page: new Uint8Array(), assets: new Map() },
 * });
 * const response = await app.request("/api/v1/candles/BTC?interval=1m");
 * assert.equal(response.status, 400);
 * assert.deepEqual(await response.json(), { error: 'Unknown market "BTC": none is known yet' });
 * ```
 */
export function createApp(deps: AppDeps): Hono {
  const { hub, metrics } = deps;
  const store = guarded(deps.store);
  const now = deps.now ?? Date.now;
  const token = deps.token ?? null;
  const cache = new ResponseCache({ ttlMs: deps.cacheMs ?? 1000 });
  const markets = new KnownMarkets(() => store.markets(), { ttlMs: deps.cacheMs ?? 1000 });
  hub.listen((event) => {
    switch (event.type) {
      case "price":
        markets.seen(marketKey(event.price));
        cache.invalidate("prices");
        cache.invalidate("markets");
        break;
      case "candle":
        markets.seen(marketKey(event.candle));
        cache.invalidate(`candles ${marketKey(event.candle)}`);
        cache.invalidate("markets");
        break;
      case "alert":
        cache.invalidate("alerts");
        break;
    }
  });

  const app = new Hono();
  const routes = new Set<string>();
  // The route a path belongs to, whatever the method: the first GET route that matches it.
  const routeOf = (path: string): string => {
    for (const [[, route]] of app.router.match("GET", path)[0]) {
      if (route.method === "GET" && routes.has(route.path)) return route.path;
    }
    return UNMATCHED_ROUTE;
  };
  app.use("*", async (c, next) => {
    const start = performance.now();
    await next();
    metrics.observeRequest({
      route: routeOf(c.req.path),
      method: c.req.method,
      status: c.res.status,
      seconds: (performance.now() - start) / 1000,
    });
  });
  if (token === null) {
    app.use("*", async (c, next) => {
      const host = c.req.header("host");
      if (
        (host !== undefined && !isLoopbackHost(host)) || !isLoopbackHost(authorityOf(c.req.url))
      ) {
        return json({
          error: `Misdirected request for host ${
            quoteValue(host ?? authorityOf(c.req.url))
          }: without API_TOKEN this server answers only localhost, 127.0.0.1 and [::1]`,
        }, 421);
      }
      await next();
    });
  }
  app.use("*", async (c, next) => {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") {
      const response = json(
        { error: `Method ${quoteValue(method)} is not allowed: expected GET or HEAD` },
        405,
      );
      response.headers.set("allow", "GET, HEAD");
      return response;
    }
    await next();
  });
  if (token !== null) {
    const expected = `Bearer ${token}`;
    app.use("/api/*", async (c, next) => {
      const given = c.req.header("authorization");
      if (given === undefined || !sameText(given, expected)) {
        return c.json(
          { error: "Missing or wrong Authorization header: expected Bearer and the API token" },
          401,
          { "www-authenticate": 'Bearer realm="crypto-analyzer"', "cache-control": "no-store" },
        );
      }
      await next();
    });
  }
  const api = new Hono()
    .route("/", marketRoutes({ store, cache }))
    .route("/", symbolRoutes({ store, cache }))
    .route("/", priceRoutes({ store, markets, cache }))
    .route("/", candleRoutes({ store, markets, cache, now }))
    .route("/", statsRoutes({ store, markets, cache, now }))
    .route("/", alertRoutes({ store, markets, cache }))
    .route(
      "/",
      pipelineRoutes({ pipeline: deps.pipeline, rates: deps.rates ?? new PipelineRates(), now }),
    )
    .route("/", streamRoutes({ hub, maxStreams: deps.maxStreams ?? 1000 }));
  app.route("/api/v1", api);
  app.route(
    "/",
    probeRoutes({
      readiness: deps.readiness,
      ...(deps.readinessTimeoutMs === undefined ? {} : { timeoutMs: deps.readinessTimeoutMs }),
    }),
  );
  app.route("/", metricsRoutes({ metrics }));
  app.route("/", dashboardRoutes({ dashboard: deps.dashboard }));
  for (const route of app.routes) if (route.method === "GET") routes.add(route.path);
  metrics.declareRoutes(routes);

  app.notFound((c) => {
    const path = c.req.path.length > 80 ? `${c.req.path.slice(0, 77)}...` : c.req.path;
    return json({ error: `No route ${c.req.method} ${path}: see the routes in the README` }, 404);
  });
  app.onError((error, c) => {
    if (error instanceof HttpError) {
      if (error.status === 503) {
        log.warn("{method} {path}: {error}", { method: c.req.method, path: c.req.path, error });
      }
      return json({ error: error.message }, error.status);
    }
    log.error("{method} {path} failed: {error}", {
      method: c.req.method,
      path: c.req.path,
      error,
    });
    return json({ error: "Internal error: the request could not be answered" }, 500);
  });
  return app;
}
