/**
 * Scenario 8: shutdown: SIGINT and SIGTERM during fetch, send and rebalance; a second signal.
 *
 * @module
 */
import type { Scenario } from "./scenario.ts";

/** The shutdown scenario. */
export const shutdown: Scenario = {
  id: "8",
  run() {
    return Promise.reject(new Error("scenario 8 (Shutdown) is not written yet"));
  },
};
