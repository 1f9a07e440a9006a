/**
 * Whether the candle store takes writes, for `/readyz` (docs/operations.md#what-to-watch): not
 * ready, with the reason, while writes have failed for longer than a threshold (30 s). A write
 * the store refuses for good is not a failing store (it is dead-lettered and the next one passes);
 * only errors retried count.
 *
 * @module
 */

/** How long writes may fail before the store is reported not ready, ms. */
export const WRITES_FAILING_MS = 30_000;

/**
 * Since when the store's writes have been failing, and why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WriteHealth } from "./store_health.ts";
 * const health = new WriteHealth();
 * health.failed(0, "connection refused");
 * assert.equal(health.problem(10_000), null);
 * assert.equal(
 *   health.problem(31_000),
 *   "candle store writes have failed for 31 s: connection refused",
 * );
 * ```
 */
export class WriteHealth {
  #since: number | null = null;
  #reason = "";

  /**
   * A write failed and will be retried.
   *
   * @param now The time, ms.
   * @param reason The error's message.
   */
  failed(now: number, reason: string): void {
    this.#since ??= now;
    this.#reason = reason;
  }

  /** A write went through: the store is fine again. */
  succeeded(): void {
    this.#since = null;
    this.#reason = "";
  }

  /** Since when writes have been failing (ms), or null while they go through. */
  get failingSince(): number | null {
    return this.#since;
  }

  /**
   * Why the store is not ready, or null when it is.
   *
   * @param now The time, ms.
   * @param thresholdMs How long writes may fail first. @default {WRITES_FAILING_MS}
   * @returns One line, or null.
   */
  problem(now: number, thresholdMs = WRITES_FAILING_MS): string | null {
    const since = this.#since;
    if (since === null || now - since <= thresholdMs) return null;
    return `candle store writes have failed for ${
      Math.round((now - since) / 1000)
    } s: ${this.#reason}`;
  }

  /**
   * The readiness check of `/readyz`: resolves while the store takes writes, rejects with the
   * problem once writes have failed for longer than the threshold.
   *
   * @param now The time, ms.
   * @returns Resolves when ready.
   */
  check(now: number): Promise<void> {
    const problem = this.problem(now);
    return problem === null ? Promise.resolve() : Promise.reject(new Error(problem));
  }
}
