/**
 * `GET /metrics`: Prometheus text format.
 *
 * @module
 */
import { Hono } from "hono";
import type { Metrics } from "../metrics.ts";

/** What the metrics route needs. */
export interface MetricsRoutesDeps {
  /** The registry. */
  metrics: Metrics;
}

/**
 * The metrics route.
 *
 * @param deps The registry.
 * @returns A Hono app to mount at the root.
 */
export function metricsRoutes(deps: MetricsRoutesDeps): Hono {
  const { metrics } = deps;
  return new Hono().get("/metrics", async () =>
    new Response(await metrics.render(), {
      headers: { "content-type": metrics.contentType, "cache-control": "no-store" },
    }));
}
