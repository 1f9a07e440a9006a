/**
 * A clock whose time moves only when the test moves it: each `sleep` waits until
 * {@linkcode ManualClock.advance} has carried virtual time to its end, so a test can see what a
 * program is waiting for (how long, and that it is still waiting) before letting the time pass.
 * Unlike `FakeClock`, concurrent sleepers each wake at their own time.
 *
 * @module
 */
import type { Clock, DelayOptions } from "../../runtime/delay.ts";

interface Sleeper {
  at: number;
  ms: number;
  resolve: () => void;
}

/** A {@linkcode Clock} moved by hand. */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];
  /** Every duration passed to `sleep`, in call order. */
  readonly sleeps: number[] = [];

  /** @param start The virtual time to start from, ms since the epoch. */
  constructor(start = 0) {
    this.#now = start;
  }

  /** The virtual time, ms. */
  now(): number {
    return this.#now;
  }

  /** The durations of the sleeps waiting now, in the order they will wake. */
  get pending(): number[] {
    return this.#sleepers.map((s) => s.ms);
  }

  /** Waits until virtual time has moved `ms` on; rejects with the signal's reason on abort. */
  sleep(ms: number, options: DelayOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = {
        at: this.#now + Math.max(0, ms),
        ms,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.push(sleeper);
      this.#sleepers.sort((a, b) => a.at - b.at);
    });
  }

  /**
   * Moves virtual time `ms` on and wakes, in time order, every sleep that has ended by then.
   *
   * @param ms How far, ms.
   */
  advance(ms: number): void {
    this.#now += ms;
    const woken = this.#sleepers.filter((s) => s.at <= this.#now);
    this.#sleepers = this.#sleepers.filter((s) => s.at > this.#now);
    for (const sleeper of woken) sleeper.resolve();
  }
}
