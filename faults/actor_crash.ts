/**
 * Scenario 7: actor crashes: actors made to throw in a running process.
 *
 * @module
 */
import type { Scenario } from "./scenario.ts";

/** The actor crashes scenario. */
export const actorCrash: Scenario = {
  id: "7",
  run() {
    return Promise.reject(new Error("scenario 7 (Actor crashes) is not written yet"));
  },
};
