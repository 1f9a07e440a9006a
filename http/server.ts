/**
 * Starts the HTTP server for `serve` and `start` (`docs/api.md`): reads the dashboard's files
 * (and the chart library's standalone build from its npm package), builds the app and serves it
 * with `Deno.serve`.
 *
 * @module
 */
import { createRequire } from "node:module";
import type { HttpConfig } from "../config/types.ts";
import { type ApiStore, createApp } from "./app.ts";
import { buildDashboardAssets, type DashboardAssets } from "./dashboard_assets.ts";
import type { LiveHub } from "./live_hub.ts";
import { Metrics } from "./metrics.ts";
import { type PipelineProvider, PipelineRates } from "./pipeline_snapshot.ts";
import type { ReadinessCheck } from "./routes/probes.ts";

/** What {@linkcode startHttpServer} needs. */
export interface HttpServerOptions {
  /** Where to listen, and the API token. */
  config: HttpConfig;
  /** The candle store (its read side). */
  store: ApiStore;
  /** The live hub: the pipeline publishes to it, the stream reads it. */
  hub: LiveHub;
  /** The pipeline's counters. */
  pipeline: PipelineProvider;
  /** The checks behind `/readyz`, by name (`source`, `broker`, `store`…). */
  readiness: Readonly<Record<string, ReadinessCheck>>;
  /** How often a `pipeline` event goes to the stream while clients are connected, in ms; 0 for never. @default {2000} */
  pipelineEveryMs?: number;
  /**
   * How often the pipeline's counters are sampled for its rates, in ms; 0 for only when asked.
   * @default {1000}
   */
  sampleEveryMs?: number;
  /** How long an answer from the store is reused, in milliseconds. @default {1000} */
  cacheMs?: number;
}

/** A running HTTP server. */
export interface HttpServer {
  /** The address it listens on (the port chosen when 0 was asked for). */
  addr: Deno.NetAddr;
  metrics: Metrics;
  /** Ends the live streams, then stops accepting and waits for the requests in flight. */
  shutdown(): Promise<void>;
}

const here = (path: string) => new URL(path, import.meta.url);

/**
 * Reads the dashboard's page and assets: `http/dashboard/` and the standalone build of
 * `lightweight-charts` from the npm package.
 *
 * @returns The dashboard, assets named by content hash.
 */
export async function loadDashboard(): Promise<DashboardAssets> {
  const dir = "./dashboard/";
  const chartPackage = createRequire(import.meta.url).resolve("lightweight-charts/package.json");
  const chart = chartPackage.replace(
    /package\.json$/,
    "dist/lightweight-charts.standalone.production.js",
  );
  return buildDashboardAssets(await Deno.readTextFile(here(`${dir}index.html`)), [
    { name: "dashboard.js", bytes: await Deno.readFile(here(`${dir}dashboard.js`)) },
    { name: "dashboard.css", bytes: await Deno.readFile(here(`${dir}dashboard.css`)) },
    { name: "lightweight-charts.js", bytes: await Deno.readFile(chart) },
  ]);
}

/**
 * Starts the HTTP server.
 *
 * @param options Address, store, hub, pipeline provider and readiness checks.
 * @returns The running server.
 * @throws {Deno.errors.AddrInUse} When the address is taken (and the other `Deno.serve` errors).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { config, hub, pipeline } = options;
  const metrics = new Metrics({ pipeline, hub: () => hub.stats });
  // One set of rates for the route and the stream, sampled in the background: the rates of a
  // first request, or of a dashboard that just opened, are those of the last seconds already.
  const rates = new PipelineRates();
  const app = createApp({
    store: options.store,
    hub,
    pipeline,
    rates,
    readiness: options.readiness,
    metrics,
    dashboard: await loadDashboard(),
    token: config.token,
    ...(config.maxStreams === undefined ? {} : { maxStreams: config.maxStreams }),
    ...(options.cacheMs === undefined ? {} : { cacheMs: options.cacheMs }),
  });
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: config.hostname,
    port: config.port,
    onListen: (addr) => resolve(addr as Deno.NetAddr),
    onError: () =>
      new Response('{"error":"Internal error: the request could not be answered"}', {
        status: 500,
        headers: { "content-type": "application/json; charset=utf-8" },
      }),
  }, app.fetch);
  const addr = await listening;

  const sampleEveryMs = options.sampleEveryMs ?? 1000;
  let sampling = false;
  const sample = async () => {
    if (sampling) return;
    sampling = true;
    try {
      rates.sample(await pipeline(), Date.now());
    } catch {
      // the next tick tries again
    } finally {
      sampling = false;
    }
  };
  const sampler = sampleEveryMs > 0 ? setInterval(sample, sampleEveryMs) : null;
  if (sampler !== null) void sample();
  const everyMs = options.pipelineEveryMs ?? 2000;
  let publishing = false;
  const timer = everyMs > 0
    ? setInterval(async () => {
      if (publishing || hub.stats.clients === 0) return;
      publishing = true;
      try {
        hub.publish({ type: "pipeline", pipeline: rates.view(await pipeline(), Date.now()) });
      } catch {
        // the next tick tries again
      } finally {
        publishing = false;
      }
    }, everyMs)
    : null;

  return {
    addr,
    metrics,
    async shutdown() {
      if (timer !== null) clearInterval(timer);
      if (sampler !== null) clearInterval(sampler);
      hub.close();
      await server.shutdown();
    },
  };
}
