import assert from "node:assert/strict";
import { runCommand } from "../support/run.ts";

Deno.test("produce exits 1 with how to start a broker when none answers within KAFKA_CONNECT_TIMEOUT", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close(); // a port where nothing listens
  const run = await runCommand("produce", {
    args: ["--iterations", "1"],
    env: {
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${port}`,
      KAFKA_CONNECT_TIMEOUT: "2",
      COINGECKO_BASE_URL: "http://127.0.0.1:1/api/v3",
    },
    timeoutMs: 60_000,
  });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const errorLines = run.stderr.split("\n").filter((l) => l.startsWith("error:"));
  assert.equal(errorLines.length, 1, run.stderr);
  assert.match(
    errorLines[0]!,
    new RegExp(`Cannot reach Kafka at 127\\.0\\.0\\.1:${port} within 2s`),
  );
  assert.match(errorLines[0]!, /deno task kafka:up/);
  assert.match(errorLines[0]!, /ECONNREFUSED/);
  assert.ok(!run.stderr.includes("    at "), "stack trace printed");
  assert.ok(!run.stdout.includes("Connected to Kafka"));
});
