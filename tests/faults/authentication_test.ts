import assert from "node:assert/strict";
import { authentication } from "../../faults/authentication.ts";
import { kafkaTest } from "../support/broker.ts";
import { runQuickScenario } from "../support/faults.ts";

kafkaTest(
  "scenario 9: prices go through the SCRAM listener, a wrong password fails at once, no password printed",
  async () => {
    const result = await runQuickScenario(authentication);
    assert.equal(result.measured.delivered, 10);
    assert.equal(result.measured.lost, 0);
  },
);
