/**
 * Scenario 10: soak: 10 minutes at a 0.1 s interval.
 *
 * @module
 */
import type { Scenario } from "./scenario.ts";

/** The soak scenario. */
export const soak: Scenario = {
  id: "10",
  run() {
    return Promise.reject(new Error("scenario 10 (Soak) is not written yet"));
  },
};
