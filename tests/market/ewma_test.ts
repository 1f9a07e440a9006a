import assert from "node:assert/strict";
import { EMPTY_EWMA, ewmaAdd, ewmaOf, ewmaWeight, zScore } from "../../market/ewma.ts";

const close = (actual: number, expected: number, what = "") =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what} ${actual} is not ${expected}`);

Deno.test("ewmaWeight() halves a value's weight after one half-life", () => {
  assert.equal(ewmaWeight(1), 0.5);
  close(ewmaWeight(2), 1 - Math.SQRT1_2);
  for (const h of [1, 2, 7.5, 30, 400]) close((1 - ewmaWeight(h)) ** h, 0.5, `h ${h}`);
  for (const bad of [0, -1, Number.NaN, Infinity]) {
    assert.throws(() => ewmaWeight(bad), RangeError);
  }
});

Deno.test("ewmaOf() folds a series into the mean and variance worked out by hand", () => {
  assert.deepEqual(ewmaOf([], 1), EMPTY_EWMA);
  assert.deepEqual(ewmaOf([7], 1), { count: 1, mean: 7, variance: 0 });
  // Half-life 1 (weight 1/2): [1, 3] → mean 2, variance ½·(0 + ½·2²) = 1; then 2 → mean 2,
  // variance ½·(1 + ½·0²) = ½.
  assert.deepEqual(ewmaOf([1, 3], 1), { count: 2, mean: 2, variance: 1 });
  assert.deepEqual(ewmaOf([1, 3, 2], 1), { count: 3, mean: 2, variance: 0.5 });
  // Half-life 2 (weight a = 1 − 1/√2): [2, 4] → mean 2 + 2a = 4 − √2,
  // variance (1 − a)·a·2² = 4·(1/√2)·(1 − 1/√2) = 2√2 − 2.
  const stats = ewmaOf([2, 4], 2);
  assert.equal(stats.count, 2);
  close(stats.mean, 4 - Math.SQRT2, "mean");
  close(stats.variance, 2 * Math.SQRT2 - 2, "variance");
});

Deno.test("ewmaOf() equals the weighted sums: weights (1 − a)^(n−1) for the first value, a·(1 − a)^(n−i) for the others", () => {
  const values = [0.013, -0.002, 0.007, 0.021, -0.015, 0.004, 0.0, -0.009, 0.011, 0.003];
  for (const halflife of [1, 3, 30]) {
    const a = ewmaWeight(halflife);
    const n = values.length;
    const weights = values.map((_, i) => i === 0 ? (1 - a) ** (n - 1) : a * (1 - a) ** (n - 1 - i));
    close(weights.reduce((s, w) => s + w, 0), 1, "weights");
    const mean = values.reduce((s, x, i) => s + weights[i]! * x, 0);
    const variance = values.reduce((s, x, i) => s + weights[i]! * (x - mean) ** 2, 0);
    const stats = ewmaOf(values, halflife);
    close(stats.mean, mean, `mean h ${halflife}`);
    close(stats.variance, variance, `variance h ${halflife}`);
  }
});

Deno.test("ewmaAdd() returns new statistics and leaves the old ones as they were", () => {
  const one = ewmaAdd(EMPTY_EWMA, 1, 0.5);
  const two = ewmaAdd(one, 3, 0.5);
  assert.deepEqual(one, { count: 1, mean: 1, variance: 0 });
  assert.deepEqual(two, { count: 2, mean: 2, variance: 1 });
  assert.deepEqual(EMPTY_EWMA, { count: 0, mean: 0, variance: 0 });
});

Deno.test("zScore() measures a value in standard deviations from the mean, and is null without spread", () => {
  const stats = ewmaOf([1, 3, 2], 1); // mean 2, variance ½
  close(zScore(4, stats)!, 2 * Math.SQRT2);
  close(zScore(1, stats)!, -Math.SQRT2);
  assert.equal(zScore(2, stats), 0);
  assert.equal(zScore(5, EMPTY_EWMA), null);
  assert.equal(zScore(5, ewmaOf([5], 1)), null);
  assert.equal(zScore(9, ewmaOf([4, 4, 4, 4], 3)), null);
});
