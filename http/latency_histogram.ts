/**
 * A latency histogram cheap enough for a pipeline stage to fill on every message: a few
 * comparisons and an increment, no allocation. `/metrics` reads it through a
 * {@linkcode HistogramSnapshot}.
 *
 * @module
 */
import type { HistogramSnapshot } from "./pipeline_snapshot.ts";

/** Default bucket bounds, in seconds: 0.1 ms to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.0001,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  10,
]);

/**
 * Counts observations into fixed buckets.
 *
 * @example
 * ```ts
 * import { LatencyHistogram } from "./latency_histogram.ts";
 * const histogram = new LatencyHistogram();
 * histogram.observe(0.003);
 * console.log(histogram.snapshot().count); // 1
 * ```
 */
export class LatencyHistogram {
  #bounds: readonly number[];
  #counts: Float64Array;
  #sum = 0;
  #count = 0;

  /** @param bounds Upper bounds of the buckets, in seconds, ascending. @default {LATENCY_BUCKETS} */
  constructor(bounds: readonly number[] = LATENCY_BUCKETS) {
    this.#bounds = bounds;
    this.#counts = new Float64Array(bounds.length + 1);
  }

  /**
   * Counts one observation.
   *
   * @param seconds The latency, in seconds.
   */
  observe(seconds: number): void {
    let i = 0;
    while (i < this.#bounds.length && seconds > this.#bounds[i]!) i++;
    this.#counts[i]!++;
    this.#sum += seconds;
    this.#count++;
  }

  /**
   * The counts so far.
   *
   * @returns A copy, safe to keep.
   */
  snapshot(): HistogramSnapshot {
    return {
      bounds: this.#bounds,
      counts: [...this.#counts],
      sum: this.#sum,
      count: this.#count,
    };
  }
}
