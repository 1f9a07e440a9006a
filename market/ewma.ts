/**
 * Exponentially weighted mean and variance, the statistics the Alerter keeps of a series' recent
 * log returns (docs/alerts.md), as plain values folded one observation at a time.
 *
 * With a half-life of `h` observations, each new value enters with the weight
 * `α = 1 − 2^(−1/h)`, so that a value `h` observations old weighs half as much as it did when it
 * came. The fold is the usual incremental one (Finch, "Incremental calculation of weighted mean
 * and variance", 2009):
 *
 * ```text
 * first value x₁:  mean = x₁, variance = 0
 * each next x:     d = x − mean;  mean = mean + α·d;  variance = (1 − α)·(variance + α·d²)
 * ```
 *
 * After values `x₁ … xₙ` the mean is `Σ wᵢ·xᵢ` and the variance `Σ wᵢ·(xᵢ − mean)²`, with the
 * weights `w₁ = (1 − α)ⁿ⁻¹` and `wᵢ = α·(1 − α)ⁿ⁻ⁱ` for `i ≥ 2`, which sum to 1.
 *
 * @module
 */

/** The statistics of the values folded so far. */
export interface Ewma {
  /** How many values were folded. */
  readonly count: number;
  /** Their exponentially weighted mean; 0 before any value. */
  readonly mean: number;
  /** Their exponentially weighted variance around that mean; 0 before two values. */
  readonly variance: number;
}

/** The statistics of no value at all. */
export const EMPTY_EWMA: Ewma = Object.freeze({ count: 0, mean: 0, variance: 0 });

/**
 * The weight a new value enters with, for a half-life.
 *
 * @param halflife The half-life, in observations; greater than 0.
 * @returns `1 − 2^(−1/halflife)`.
 * @throws {RangeError} When the half-life is not a finite number greater than 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ewmaWeight } from "./ewma.ts";
 * assert.equal(ewmaWeight(1), 0.5);
 * ```
 */
export function ewmaWeight(halflife: number): number {
  if (!Number.isFinite(halflife) || halflife <= 0) {
    throw new RangeError(`The half-life must be a finite number greater than 0, not ${halflife}`);
  }
  return 1 - 2 ** (-1 / halflife);
}

/**
 * Folds one value into the statistics.
 *
 * @param stats The statistics so far.
 * @param value The next value.
 * @param weight The weight of a new value, from {@linkcode ewmaWeight}.
 * @returns The statistics with the value folded in (the argument is left as it was).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EMPTY_EWMA, ewmaAdd } from "./ewma.ts";
 * const stats = ewmaAdd(ewmaAdd(EMPTY_EWMA, 1, 0.5), 3, 0.5);
 * assert.deepEqual(stats, { count: 2, mean: 2, variance: 1 });
 * ```
 */
export function ewmaAdd(stats: Ewma, value: number, weight: number): Ewma {
  if (stats.count === 0) return { count: 1, mean: value, variance: 0 };
  const d = value - stats.mean;
  return {
    count: stats.count + 1,
    mean: stats.mean + weight * d,
    variance: (1 - weight) * (stats.variance + weight * d * d),
  };
}

/**
 * The statistics of a series, folded oldest first.
 *
 * @param values The values, oldest first.
 * @param halflife The half-life, in observations.
 * @returns Their count, exponentially weighted mean and variance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ewmaOf } from "./ewma.ts";
 * assert.deepEqual(ewmaOf([1, 3, 2], 1), { count: 3, mean: 2, variance: 0.5 });
 * ```
 */
export function ewmaOf(values: Iterable<number>, halflife: number): Ewma {
  const weight = ewmaWeight(halflife);
  let stats = EMPTY_EWMA;
  for (const value of values) stats = ewmaAdd(stats, value, weight);
  return stats;
}

/**
 * How many standard deviations a value lies from the mean of the statistics.
 *
 * @param value The value.
 * @param stats The statistics it is measured against.
 * @returns `(value − mean) / √variance`, or null when the variance is 0 (fewer than two values,
 * or all of them equal): no spread to measure against.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ewmaOf, zScore } from "./ewma.ts";
 * assert.equal(zScore(4, ewmaOf([1, 3, 2], 1)), 2.82842712474619); // 2 / √0.5
 * ```
 */
export function zScore(value: number, stats: Ewma): number | null {
  if (!(stats.variance > 0)) return null;
  const z = (value - stats.mean) / Math.sqrt(stats.variance);
  return Number.isFinite(z) ? z : null;
}
