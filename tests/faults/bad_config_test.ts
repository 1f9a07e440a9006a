import assert from "node:assert/strict";
import { badCases, VARIABLES } from "../../faults/bad_values.ts";
import { badConfig } from "../../faults/bad_config.ts";
import { candlesCommand } from "../../config/candles.ts";
import { consumeCommand } from "../../config/consume.ts";
import { lagCommand } from "../../config/lag.ts";
import { produceCommand } from "../../config/produce.ts";
import { startCommand } from "../../config/start.ts";
import { kafkaTest } from "../support/broker.ts";
import { runQuickScenario } from "../support/faults.ts";

Deno.test("the bad-configuration cases cover every variable and every flag of the five commands", () => {
  const cases = badCases();
  for (const [variable] of VARIABLES) {
    assert.ok(
      cases.some((c) => c.name === variable || variable in c.env),
      `${variable} not covered`,
    );
  }
  for (const spec of [produceCommand, consumeCommand, startCommand, lagCommand, candlesCommand]) {
    for (const flag of spec.flags) {
      const mine = cases.filter((c) => c.command === spec.name && c.name === `--${flag.name}`);
      assert.ok(mine.length >= 2, `${spec.name} --${flag.name}: ${mine.length} cases`);
    }
  }
});

kafkaTest(
  "scenario 6: bad variables and flags exit 2 with one line naming them; a closed port or wrong password exits 1 in time",
  async () => {
    const result = await runQuickScenario(badConfig);
    assert.ok(result.measured.fetched >= 20, `${result.measured.fetched} cases`);
    assert.equal(result.measured.lost, 0);
  },
);
