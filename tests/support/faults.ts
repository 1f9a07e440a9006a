/**
 * Runs a fault-suite scenario (faults/) in its short form inside `deno task test`, against
 * the test broker and a fresh CoinGecko stand-in. Only scenarios that leave the broker running
 * belong here; the ones that kill it run in `deno task faults`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FaultBroker } from "../../faults/broker.ts";
import type { Scenario, ScenarioContext, ScenarioResult } from "../../faults/scenario.ts";
import { TEST_BROKERS } from "./broker.ts";
import { CoinGeckoStub } from "./coingecko_stub.ts";

/** The SCRAM listener of the test broker (`deno task kafka:up`). */
export const TEST_SASL_BROKERS = Deno.env.get("KAFKA_TEST_SASL_BROKERS") ??
  `127.0.0.1:${Deno.env.get("KAFKA_SASL_PORT") ?? "9094"}`;

/**
 * Runs `scenario` with `quick: true` and fails with every check that did not hold.
 *
 * @param scenario The scenario.
 * @returns Its result, for further assertions.
 */
export async function runQuickScenario(scenario: Scenario): Promise<ScenarioResult> {
  const stub = await CoinGeckoStub.start();
  const port = Number(TEST_BROKERS.split(",")[0]!.split(":")[1]);
  const ctx: ScenarioContext = {
    // The broker is never killed in a quick run; its home and ports are only for the type.
    broker: new FaultBroker({
      brokers: TEST_BROKERS,
      home: "/nonexistent",
      controllerPort: port + 1,
      saslPort: Number(TEST_SASL_BROKERS.split(":")[1]),
    }),
    coingeckoUrl: stub.url,
    requests: () => stub.requests.length,
    outageMs: 0,
    log: () => {},
    saslBrokers: TEST_SASL_BROKERS,
    quick: true,
  };
  try {
    const result = await scenario.run(ctx);
    const failed = result.checks.filter((c) => !c.ok);
    assert.deepEqual(
      failed.map((c) => `${c.what}: ${c.detail}`),
      [],
      `scenario ${result.id} (${result.title}) failed`,
    );
    return result;
  } finally {
    await stub.close();
  }
}
