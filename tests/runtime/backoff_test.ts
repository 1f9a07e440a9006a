import assert from "node:assert/strict";
import { backoffDelay } from "../../runtime/backoff.ts";

const noJitter = { jitter: 0 } as const;

Deno.test("backoffDelay() starts at minMs for attempt 0", () => {
  assert.equal(backoffDelay(0, { ...noJitter, minMs: 250 }), 250);
});

Deno.test("backoffDelay() grows by the multiplier with each attempt", () => {
  const doubling = [0, 1, 2, 3, 4].map((a) => backoffDelay(a, { ...noJitter, minMs: 100 }));
  assert.deepEqual(doubling, [100, 200, 400, 800, 1600]);
  const tripling = [0, 1, 2, 3].map((a) =>
    backoffDelay(a, { ...noJitter, minMs: 10, multiplier: 3 })
  );
  assert.deepEqual(tripling, [10, 30, 90, 270]);
});

Deno.test("backoffDelay() defaults to 100 ms doubling", () => {
  assert.deepEqual([0, 1, 2, 3].map((a) => backoffDelay(a, noJitter)), [100, 200, 400, 800]);
});

Deno.test("backoffDelay() never exceeds maxMs", () => {
  const delays = [0, 1, 2, 3, 4, 5, 50].map((a) =>
    backoffDelay(a, { ...noJitter, minMs: 100, maxMs: 1_000 })
  );
  assert.deepEqual(delays, [100, 200, 400, 800, 1_000, 1_000, 1_000]);
});

Deno.test("backoffDelay() stays at maxMs for very large attempts", () => {
  assert.equal(backoffDelay(10_000, { ...noJitter, minMs: 100, maxMs: 30_000 }), 30_000);
});

Deno.test("backoffDelay() treats a negative attempt as attempt 0", () => {
  assert.equal(backoffDelay(-3, { ...noJitter, minMs: 100 }), 100);
});

Deno.test("backoffDelay() with random 0 takes nothing off", () => {
  assert.equal(backoffDelay(2, { minMs: 100, jitter: 0.5, random: () => 0 }), 400);
});

Deno.test("backoffDelay() with random near 1 takes off almost the whole jitter fraction", () => {
  const random = () => 0.9999999;
  const delay = backoffDelay(2, { minMs: 100, jitter: 0.5, random });
  // 400 * (1 - 0.5 * 0.9999999): just above half, never below it.
  assert.ok(delay > 200 && delay < 200.001, `delay ${delay}`);
  const full = backoffDelay(2, { minMs: 100, jitter: 1, random });
  assert.ok(full > 0 && full < 0.001, `full jitter delay ${full}`);
});

Deno.test("backoffDelay() jitter applies after the cap", () => {
  const delay = backoffDelay(20, { minMs: 100, maxMs: 1_000, jitter: 0.5, random: () => 0.5 });
  assert.equal(delay, 750);
});

Deno.test("backoffDelay() stays within [delay * (1 - jitter), delay] for any random value", () => {
  for (const r of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999999]) {
    const delay = backoffDelay(3, { minMs: 100, jitter: 0.2, random: () => r });
    assert.ok(delay <= 800 && delay > 800 * 0.8, `random ${r} gave ${delay}`);
  }
});

Deno.test("backoffDelay() uses the default jitter of 0.5 with the injected random", () => {
  assert.equal(backoffDelay(0, { minMs: 100, random: () => 0.5 }), 75);
});

Deno.test("backoffDelay() stays 0 for a zero base, however many attempts", () => {
  for (const attempt of [0, 10, 1100, 1e6]) {
    assert.equal(backoffDelay(attempt, { minMs: 0, jitter: 0 }), 0);
  }
});
