/**
 * Scenario 9: authentication: SASL SCRAM-SHA-256 listener, right and wrong password.
 *
 * @module
 */
import type { Scenario } from "./scenario.ts";

/** The authentication scenario. */
export const authentication: Scenario = {
  id: "9",
  run() {
    return Promise.reject(new Error("scenario 9 (Authentication) is not written yet"));
  },
};
