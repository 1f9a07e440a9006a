/**
 * Whether the tests run under CI: then a missing broker, database or browser fails a test
 * instead of skipping it. Any non-empty `CI` other than `false` or `0` counts, as CI services set
 * it (`true`, `1`, a name).
 *
 * @module
 */

/**
 * Reads `CI` as the CI services set it.
 *
 * @param value The variable's value.
 * @returns Whether it says CI.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isCi } from "./ci.ts";
 * assert.equal(isCi("1"), true);
 * assert.equal(isCi("false"), false);
 * assert.equal(isCi(undefined), false);
 * ```
 */
export function isCi(value: string | undefined): boolean {
  const text = (value ?? "").trim().toLowerCase();
  return text !== "" && text !== "false" && text !== "0";
}

/** Whether this run is under CI. */
export const inCi: boolean = isCi(Deno.env.get("CI"));
