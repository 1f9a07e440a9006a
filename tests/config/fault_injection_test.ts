import assert from "node:assert/strict";
import { loadConsumerConfig } from "../../config/consume.ts";
import { loadProducerConfig } from "../../config/produce.ts";
import { loadStartConfig } from "../../config/start.ts";
import { ConfigError } from "../../config/config_error.ts";
import { parseFaultInjection } from "../../config/fault_injection.ts";
import { runCommand } from "../support/run.ts";

const ACTORS = ["encoder", "publisher"];

Deno.test("parseFaultInjection() reads every=N and a share per actor", () => {
  assert.deepEqual(
    parseFaultInjection("FAULT_INJECT", "encoder:every=50, publisher:0.02", ACTORS),
    [{ actor: "encoder", every: 50 }, { actor: "publisher", share: 0.02 }],
  );
  assert.deepEqual(parseFaultInjection("FAULT_INJECT", "publisher:1", ACTORS), [
    { actor: "publisher", share: 1 },
  ]);
  assert.deepEqual(parseFaultInjection("FAULT_INJECT", "encoder:every=1", ACTORS), [
    { actor: "encoder", every: 1 },
  ]);
});

Deno.test("parseFaultInjection() names the variable, the problem and what is allowed", () => {
  const cases: [string, string][] = [
    ["fetcher:every=5", 'no actor named "fetcher"'],
    ["printer:0.5", 'no actor named "printer"'],
    ["encoder:every=0", "every must be a whole number of at least 1"],
    ["encoder:every=2.5", "every must be a whole number"],
    ["encoder:every=", "cannot read"],
    ["encoder:0", "must be above 0 and at most 1"],
    ["encoder:1.5", "must be above 0 and at most 1"],
    ["encoder:often", "must be above 0 and at most 1"],
    ["encoder", "cannot read"],
    ["encoder:every=5,", "cannot read"],
    ["encoder:every=5,encoder:0.1", "encoder is named twice"],
  ];
  for (const [raw, problem] of cases) {
    assert.throws(
      () => parseFaultInjection("FAULT_INJECT", raw, ACTORS),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.ok(error.message.startsWith("Invalid FAULT_INJECT: "), error.message);
        assert.ok(error.message.includes(problem), `${raw}: ${error.message}`);
        assert.ok(error.message.includes("encoder, publisher"), error.message);
        assert.ok(error.message.includes(JSON.stringify(raw)), error.message);
        assert.ok(!error.message.includes("\n"), error.message);
        return true;
      },
    );
  }
});

Deno.test("FAULT_INJECT is off by default and each command takes its own actors", () => {
  assert.deepEqual(loadProducerConfig([], () => undefined)?.faults, []);
  assert.deepEqual(loadConsumerConfig([], () => undefined)?.faults, []);
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.deepEqual(
    loadProducerConfig([], env({ FAULT_INJECT: "publisher:every=3" }))?.faults,
    [{ actor: "publisher", every: 3 }],
  );
  assert.deepEqual(
    loadConsumerConfig([], env({ FAULT_INJECT: "printer:0.25" }))?.faults,
    [{ actor: "printer", share: 0.25 }],
  );
  const start = loadStartConfig([], env({ FAULT_INJECT: "printer:every=9,encoder:every=7" }));
  assert.deepEqual(start?.producer.faults, [{ actor: "encoder", every: 7 }]);
  assert.deepEqual(start?.consumer.faults, [{ actor: "printer", every: 9 }]);
  assert.throws(
    () => loadConsumerConfig([], env({ FAULT_INJECT: "encoder:every=3" })),
    ConfigError,
  );
});

Deno.test("produce and consume exit 2 with one line for a bad FAULT_INJECT", async () => {
  const results = await Promise.all([
    runCommand("produce", { env: { FAULT_INJECT: "encoder:every=zero" } }),
    runCommand("consume", { env: { FAULT_INJECT: "publisher:0.1" } }),
  ]);
  for (const result of results) {
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /^error: Invalid FAULT_INJECT: /);
  }
});
