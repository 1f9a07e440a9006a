/**
 * Scenario 6: bad configuration: every variable and flag wrong, empty, extreme; wrong broker address and credentials.
 *
 * @module
 */
import type { Scenario } from "./scenario.ts";

/** The bad configuration scenario. */
export const badConfig: Scenario = {
  id: "6",
  run() {
    return Promise.reject(new Error("scenario 6 (Bad configuration) is not written yet"));
  },
};
