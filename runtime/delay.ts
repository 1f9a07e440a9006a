/**
 * Abortable waiting, and the clock that the runtime's timing goes through.
 *
 * @module
 */

/** Options for {@linkcode delay}. */
export interface DelayOptions {
  /** Aborting this signal rejects the wait with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Resolves after `ms` milliseconds, or rejects with the signal's reason once it is aborted.
 *
 * @param ms How long to wait, in milliseconds.
 * @param options The abort signal.
 * @returns A promise that settles when the time is up or the signal aborts.
 *
 * @example
 * ```ts
 * import { delay } from "./delay.ts";
 * await delay(1);
 * ```
 */
export function delay(ms: number, options: DelayOptions = {}): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The source of time for anything that waits or measures; tests inject a fake one. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms` milliseconds; rejects when the signal aborts. */
  sleep(ms: number, options?: DelayOptions): Promise<void>;
}

/** The real clock: `Date.now()` and {@linkcode delay}. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, options) => delay(ms, options),
};

/**
 * Returns true when `error` is the rejection of an aborted wait for `signal`.
 *
 * @param error What was thrown.
 * @param signal The signal the wait was given.
 * @returns Whether the error only says that the wait was aborted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isAbort } from "./delay.ts";
 * const controller = new AbortController();
 * controller.abort();
 * assert.equal(isAbort(controller.signal.reason, controller.signal), true);
 * ```
 */
export function isAbort(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted && error === signal.reason) return true;
  return error instanceof DOMException && (error.name === "AbortError");
}
