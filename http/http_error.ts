/**
 * The one error type of the HTTP API: thrown at the route edge, turned into
 * `{"error": "<one sentence>"}` with its status by the app's error handler.
 *
 * @module
 */

/** A request the API refuses, with the status and the one sentence the client gets. */
export class HttpError extends Error {
  /** The HTTP status: 400, 401, 404 or 503. */
  readonly status: 400 | 401 | 404 | 503;
  /**
   * @param status The HTTP status.
   * @param message One sentence naming the parameter, the value and what is allowed.
   * @param options The cause, if any (never shown to the client).
   */
  constructor(status: 400 | 401 | 404 | 503, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HttpError";
    this.status = status;
  }
}

/**
 * Quotes a client's value for an error sentence: JSON-quoted, cut at 60 characters.
 *
 * @param value What the client sent.
 * @returns The quoted text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoteValue } from "./http_error.ts";
 * assert.equal(quoteValue("2m"), "\"2m\"");
 * ```
 */
export function quoteValue(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}
