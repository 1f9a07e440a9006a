/**
 * Exponential backoff with jitter.
 *
 * @module
 */

/** Options for {@linkcode backoffDelay}. */
export interface BackoffOptions {
  /** The first delay, in milliseconds. @default {100} */
  minMs?: number;
  /** The largest delay, in milliseconds. @default {30_000} */
  maxMs?: number;
  /** Growth factor between attempts. @default {2} */
  multiplier?: number;
  /** Fraction of the delay that is randomly taken off (0 = none, 1 = up to all). @default {0.5} */
  jitter?: number;
  /** The random source, `[0, 1)`. @default {Math.random} */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (0-based):
 * `min(max, min * multiplier ** attempt) * (1 - jitter * random())`.
 *
 * @param attempt How many retries came before this one.
 * @param options The shape of the curve.
 * @returns The delay in milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay } from "./backoff.ts";
 * assert.equal(backoffDelay(3, { minMs: 100, jitter: 0 }), 800);
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { minMs = 100, maxMs = 30_000, multiplier = 2, jitter = 0.5, random = Math.random } =
    options;
  const growth = multiplier ** Math.max(0, attempt);
  const exponential = minMs <= 0 ? 0 : Math.min(maxMs, minMs * growth);
  return exponential * (1 - jitter * random());
}
