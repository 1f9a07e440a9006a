/**
 * Waiting in tests on what can be seen, never on a guess of how long something takes: a
 * predicate polled until it holds, failing with a message once a deadline passes (so a test that
 * waits for something that never comes fails instead of hanging the suite).
 *
 * @module
 */

/** Options for {@linkcode waitFor}. */
export interface WaitOptions {
  /** What is waited for, for the error: `Timed out after 10000 ms waiting for <message>`. */
  message: string;
  /** The deadline, ms: generous, since it is a limit on a hang, not a measure. @default {10_000} */
  timeoutMs?: number;
  /** Time between two looks, ms. @default {10} */
  everyMs?: number;
}

/**
 * Resolves once `predicate` holds (it may be async), and rejects with a message naming what was
 * awaited once `timeoutMs` passes without it. A predicate that throws fails the wait at once.
 *
 * @param predicate What must become true.
 * @param options The message, the deadline and the polling step.
 * @returns When the predicate holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { waitFor } from "./wait.ts";
 * let n = 0;
 * const timer = setInterval(() => n++, 1);
 * await waitFor(() => n >= 3, { message: "three ticks" });
 * clearInterval(timer);
 * assert.ok(n >= 3);
 * await assert.rejects(
 *   waitFor(() => false, { message: "nothing", timeoutMs: 20 }),
 *   /^Error: Timed out after 20 ms waiting for nothing$/,
 * );
 * ```
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  options: WaitOptions,
): Promise<void> {
  const { message, timeoutMs = 10_000, everyMs = 10 } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Settles as `promise` does, or rejects with a message naming what was awaited once `timeoutMs`
 * passes first: a limit on a hang, not a measure (the promise is left to settle on its own).
 *
 * @param promise What to wait for.
 * @param options The message and the deadline.
 * @returns The promise's value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settles } from "./wait.ts";
 * assert.equal(await settles(Promise.resolve(7), { message: "seven" }), 7);
 * await assert.rejects(
 *   settles(new Promise(() => {}), { message: "nothing", timeoutMs: 20 }),
 *   /^Error: Timed out after 20 ms waiting for nothing$/,
 * );
 * ```
 */
export async function settles<T>(
  promise: Promise<T>,
  options: Omit<WaitOptions, "everyMs">,
): Promise<T> {
  const { message, timeoutMs = 10_000 } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${message}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
