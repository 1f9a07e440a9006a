/**
 * What the Kafka client's errors say. `@platformatic/kafka` wraps what went wrong in layers (a
 * failed retry holds every attempt's error, a failed connection holds the socket's error as its
 * cause); these helpers look through the layers for the part a person can act on.
 *
 * @module
 */

/** An error as the client builds them: a code, the attempts it gathered, a cause. */
interface ClientError {
  name?: string;
  message?: string;
  code?: string;
  apiId?: string;
  canRetry?: boolean;
  errors?: unknown[];
  cause?: unknown;
}

/**
 * An error and everything it wraps (the errors an `AggregateError` gathered and every `cause`),
 * outermost first.
 *
 * @param error What was thrown.
 * @returns The errors, each once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorChain } from "./client_errors.ts";
 * const inner = new Error("connect ECONNREFUSED 127.0.0.1:9092");
 * const failed = new Error("Connection failed.", { cause: inner });
 * const outer = new AggregateError([failed], "No broker.");
 * assert.deepEqual(
 *   errorChain(outer).map((e) => e.message),
 *   ["No broker.", "Connection failed.", "connect ECONNREFUSED 127.0.0.1:9092"],
 * );
 * ```
 */
export function errorChain(error: unknown): Error[] {
  const chain: Error[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown) => {
    if (!(value instanceof Error) || seen.has(value) || chain.length >= 64) return;
    seen.add(value);
    chain.push(value);
    const e = value as ClientError;
    if (Array.isArray(e.errors)) { for (const inner of e.errors) visit(inner); }
    visit(e.cause);
  };
  visit(error);
  return chain;
}

/**
 * One line for an error: the innermost message (the socket's `connect ECONNREFUSED …`, the
 * broker's own words), after the client's when they differ.
 *
 * @param error What was thrown.
 * @returns The line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeClientError } from "./client_errors.ts";
 * const socket = new Error("connect ECONNREFUSED 127.0.0.1:9092");
 * assert.equal(
 *   describeClientError(new Error("Connection to 127.0.0.1:9092 failed.", { cause: socket })),
 *   "Connection to 127.0.0.1:9092 failed: connect ECONNREFUSED 127.0.0.1:9092",
 * );
 * ```
 */
export function describeClientError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const trim = (message: string) => message.trim().replace(/\.$/, "");
  // The last attempt's innermost error, and the one wrapping it.
  let parent: Error | null = null;
  let leaf: Error = error;
  for (let depth = 0; depth < 64; depth++) {
    const { errors, cause } = leaf as ClientError;
    const next = Array.isArray(errors) && errors.length > 0 ? errors.at(-1) : cause;
    if (!(next instanceof Error)) break;
    parent = leaf;
    leaf = next;
  }
  const parts = [parent && !Array.isArray((parent as ClientError).errors) ? parent : null, leaf]
    .filter((e): e is Error => e !== null)
    .map((e) => trim(e.message))
    .filter((m) => m.length > 0);
  return [...new Set(parts)].join(": ") || trim(error.message);
}

/**
 * Whether the broker refused the client's credentials (SASL), which no retry will mend.
 *
 * @param error What was thrown.
 * @returns True for a refused authentication.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refusedCredentials } from "./client_errors.ts";
 * const refused = Object.assign(new Error("SASL authentication failed."), {
 *   code: "PLT_KFK_AUTHENTICATION",
 * });
 * const error = new Error("Cannot connect to any broker.", { cause: refused });
 * assert.equal(refusedCredentials(error), true);
 * ```
 */
export function refusedCredentials(error: unknown): boolean {
  return errorChain(error).some((e) =>
    (e as ClientError).code === "PLT_KFK_AUTHENTICATION" ||
    (e as ClientError).apiId === "SASL_AUTHENTICATION_FAILED" ||
    /SASL authentication failed/i.test(e.message)
  );
}

/**
 * Whether sending the same records again later may succeed: true unless the broker refused them
 * for good (a protocol error it marks as not retriable, such as a record too large) or the client
 * refused them before sending.
 *
 * @param error What a send threw.
 * @returns True when the records may be sent again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRetriable } from "./client_errors.ts";
 * assert.equal(isRetriable(new Error("Connection closed")), true);
 * const tooLarge = Object.assign(new Error("too large"), {
 *   code: "PLT_KFK_PROTOCOL",
 *   canRetry: false,
 * });
 * assert.equal(isRetriable(tooLarge), false);
 * ```
 */
export function isRetriable(error: unknown): boolean {
  return !errorChain(error).some((e) => {
    const { code, canRetry } = e as ClientError;
    return (code === "PLT_KFK_PROTOCOL" || code === "PLT_KFK_USER") && canRetry === false;
  });
}

/**
 * The broker's protocol error of that kind, if the error holds one (with the response it came in).
 *
 * @param error What was thrown.
 * @param apiId The error's name in the Kafka protocol, e.g. `OFFSET_OUT_OF_RANGE`.
 * @returns The error, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { protocolError } from "./client_errors.ts";
 * const e = Object.assign(new Error("out of range"), { apiId: "OFFSET_OUT_OF_RANGE" });
 * assert.equal(protocolError(new AggregateError([e], "Fetch failed."), "OFFSET_OUT_OF_RANGE"), e);
 * ```
 */
export function protocolError(error: unknown, apiId: string): Error | null {
  return errorChain(error).find((e) => (e as ClientError).apiId === apiId) ?? null;
}
