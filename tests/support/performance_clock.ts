/**
 * Virtual time for code that reads `performance.now()` itself and takes no clock: while stubbed,
 * `performance.now()` returns a time that moves only when the test moves it. Timers are left
 * alone (they run on real time).
 *
 * @module
 */

/** `performance.now()` under the test's hand, until {@linkcode PerformanceClock.restore}. */
export interface PerformanceClock {
  /** Moves the virtual time `ms` on. */
  advance(ms: number): void;
  /** Gives `performance.now()` back its own clock. */
  restore(): void;
}

/**
 * Replaces `performance.now()` with virtual time starting at `start`.
 *
 * @param start The virtual time to start from, ms.
 * @returns The clock, to move and to restore (in a `finally`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stubPerformanceNow } from "./performance_clock.ts";
 * const clock = stubPerformanceNow(1_000);
 * try {
 *   assert.equal(performance.now(), 1_000);
 *   clock.advance(999);
 *   assert.equal(performance.now(), 1_999);
 * } finally {
 *   clock.restore();
 * }
 * assert.notEqual(performance.now(), 1_999);
 * ```
 */
export function stubPerformanceNow(start = 0): PerformanceClock {
  let now = start;
  Object.defineProperty(performance, "now", {
    value: () => now,
    configurable: true,
    writable: true,
  });
  return {
    advance(ms) {
      now += ms;
    },
    restore() {
      // The stub is the instance's own property: without it, the prototype's method answers.
      delete (performance as { now?: unknown }).now;
    },
  };
}
