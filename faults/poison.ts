/**
 * Scenario 5: poison on the topic: fuzz of random, truncated, oversized and schema-breaking values and keys.
 *
 * @module
 */
import type { Scenario } from "./scenario.ts";

/** The poison on the topic scenario. */
export const poison: Scenario = {
  id: "5",
  run() {
    return Promise.reject(new Error("scenario 5 (Poison on the topic) is not written yet"));
  },
};
