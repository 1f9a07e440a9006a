/**
 * How the API answers: JSON bodies with the headers every answer carries.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Headers of every JSON answer. */
export const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
});

/**
 * A JSON answer.
 *
 * @param body The value, or its UTF-8 JSON bytes.
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
  const bytes = body instanceof Uint8Array
    ? body as Uint8Array<ArrayBuffer>
    : encoder.encode(JSON.stringify(body));
  return new Response(bytes, { status, headers: JSON_HEADERS });
}
