/**
 * How the API answers: JSON bodies with the headers every answer carries.
 *
 * @module
 */

/** Headers of every JSON answer. */
export const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
});

/**
 * A JSON answer.
 *
 * @param body The value.
 * @param status The status. @default {200}
 * @returns The response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { json } from "./respond.ts";
 * assert.equal(await json({ status: "ok" }).text(), '{"status":"ok"}');
 * ```
 */
export function json(body: unknown, status = 200): Response {
  return jsonText(JSON.stringify(body), status);
}

/**
 * A JSON answer already written as text. A text body is encoded once, as it is sent; bytes would
 * be copied into the response first.
 *
 * @param text The JSON text.
 * @param status The status. @default {200}
 * @returns The response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonText } from "./respond.ts";
 * assert.equal(await jsonText('{"n":1}').text(), '{"n":1}');
 * ```
 */
export function jsonText(text: string, status = 200): Response {
  return new Response(text, { status, headers: JSON_HEADERS });
}
