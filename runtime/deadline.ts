/**
 * A promise bounded in time, on `AbortSignal.timeout` and `AbortSignal.any`.
 *
 * @module
 */

/** Thrown by {@linkcode deadline} when the time is up before the promise settles. */
export class DeadlineError extends Error {
  override name = "DeadlineError";
  /**
   * @param ms The time that ran out, in milliseconds.
   * @param options The error's cause.
   */
  constructor(readonly ms: number, options?: ErrorOptions) {
    super(`No answer within ${ms} ms`, options);
  }
}

/** Options for {@linkcode deadline}. */
export interface DeadlineOptions {
  /** Aborting this signal rejects at once with its reason. */
  signal?: AbortSignal;
}

/**
 * Settles as `promise` does, or rejects with {@linkcode DeadlineError} once `ms` milliseconds
 * have passed (or with the signal's reason once it aborts). The promise itself is left to finish
 * or fail on its own; its later rejection is not reported as unhandled.
 *
 * @param promise What to wait for.
 * @param ms The longest wait, in milliseconds.
 * @param options An abort signal.
 * @returns The promise's value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deadline, DeadlineError } from "./deadline.ts";
 * assert.equal(await deadline(Promise.resolve(7), 100), 7);
 * await assert.rejects(deadline(new Promise(() => {}), 1), DeadlineError);
 * ```
 */
export function deadline<T>(
  promise: Promise<T>,
  ms: number,
  options: DeadlineOptions = {},
): Promise<T> {
  promise.catch(() => {});
  const timeout = AbortSignal.timeout(Math.max(0, ms));
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  if (signal.aborted) return Promise.reject(reason(signal, timeout, ms));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason(signal, timeout, ms));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function reason(signal: AbortSignal, timeout: AbortSignal, ms: number): unknown {
  return timeout.aborted && signal.reason === timeout.reason
    ? new DeadlineError(ms, { cause: timeout.reason })
    : signal.reason;
}
