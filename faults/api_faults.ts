/**
 * Scenario 4: api faults: long runs of 429 (with and without Retry-After, JSON and HTML), 5xx, hung connections, truncated and malformed JSON, unknown coins, bad prices, empty object.
 *
 * @module
 */
import type { Scenario } from "./scenario.ts";

/** The api faults scenario. */
export const apiFaults: Scenario = {
  id: "4",
  run() {
    return Promise.reject(new Error("scenario 4 (API faults) is not written yet"));
  },
};
