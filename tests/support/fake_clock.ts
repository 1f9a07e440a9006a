import type { Clock, DelayOptions } from "../../runtime/delay.ts";

/**
 * A {@linkcode Clock} with virtual time, for tests of anything that waits.
 *
 * - `now()` returns the virtual time in milliseconds (starting at `start`).
 * - `sleep(ms)` appends `ms` to {@linkcode FakeClock.sleeps}, then resolves after one macrotask
 *   (`setTimeout(0)`), at which point virtual time moves forward by `ms` (negative counts as 0).
 * - An aborted `sleep` rejects with the signal's reason, clears its timer (so no timer leaks) and
 *   does not move time; a signal that is already aborted rejects at once and records nothing.
 *
 * Concurrent sleeps all resolve after one macrotask and each adds its own `ms`, so virtual time
 * is only meaningful for code that sleeps one thing at a time, which is what the tests rely on.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * await clock.sleep(1_000);
 * console.log(clock.now(), clock.sleeps); // 1000 [1000]
 * ```
 */
export class FakeClock implements Clock {
  /** Every duration passed to `sleep`, in call order. */
  readonly sleeps: number[] = [];
  #now: number;

  /** @param start The virtual time to start from, in milliseconds. */
  constructor(start = 0) {
    this.#now = start;
  }

  /** The virtual time, in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Records `ms`, then resolves after one macrotask with virtual time advanced by `ms`. */
  sleep(ms: number, options: DelayOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        this.#now += Math.max(0, ms);
        resolve();
      }, 0);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
