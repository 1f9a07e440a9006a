import assert from "node:assert/strict";
import { fuzzRecords, poison } from "../../faults/poison.ts";
import { kafkaTest } from "../support/broker.ts";
import { runQuickScenario } from "../support/faults.ts";

Deno.test("the poison fuzz is the same for the same seed, and mixes valid, bad and oversized records", () => {
  const a = fuzzRecords(1234, 300, 2);
  const b = fuzzRecords(1234, 300, 2);
  assert.deepEqual(a, b);
  assert.notDeepEqual(fuzzRecords(1235, 300, 2), a);
  const valid = a.filter((r) => r.valid).length;
  assert.ok(valid > 50 && valid < 200, `${valid} valid of 300`);
  assert.equal(a.filter((r) => (r.value?.length ?? 0) >= 1024 * 1024).length, 2);
  for (const kind of ["random bytes", "truncated", "key: not UTF-8", "value: not UTF-8"]) {
    assert.ok(a.some((r) => r.kind === kind), `no ${kind}`);
  }
  const strict = new TextDecoder("utf-8", { fatal: true });
  for (const r of a.filter((r) => r.kind.endsWith("not UTF-8"))) {
    const bytes = r.kind.startsWith("key") ? r.key! : r.value!;
    assert.throws(() => strict.decode(bytes), `${r.kind} is UTF-8`);
  }
});

kafkaTest(
  "scenario 5: the consumer prints every valid message of a fuzzed topic once and reports every bad one, without crashing",
  async () => {
    const result = await runQuickScenario(poison);
    assert.equal(result.measured.lost, 0);
    assert.ok(result.measured.delivered > 0);
  },
);
