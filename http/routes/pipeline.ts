/**
 * `GET /api/v1/pipeline`: per stage messages/s, totals, errors and restarts; the last fetch and
 * its outcome; the buffer depth; consumer lag per partition.
 *
 * @module
 */
import { Hono } from "hono";
import { checkQueryNames } from "../params.ts";
import type { PipelineProvider, PipelineRates } from "../pipeline_snapshot.ts";
import { json } from "../respond.ts";

/** What the pipeline route needs. */
export interface PipelineRoutesDeps {
  /** The pipeline's counters. */
  pipeline: PipelineProvider;
  /** Works out rates from successive snapshots. */
  rates: PipelineRates;
  /** The wall clock, ms since the epoch. */
  now: () => number;
}

/**
 * The pipeline route.
 *
 * @param deps The provider, the rates and the clock.
 * @returns A Hono app to mount under `/api/v1`.
 */
export function pipelineRoutes(deps: PipelineRoutesDeps): Hono {
  const { pipeline, rates, now } = deps;
  return new Hono().get("/pipeline", async (c) => {
    checkQueryNames(c.req.query(), []);
    return json(rates.view(await pipeline(), now()));
  });
}
