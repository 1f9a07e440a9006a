import assert from "node:assert/strict";
import { freshTopic, kafkaTest, TEST_BROKERS } from "../support/broker.ts";
import { CoinGeckoStub } from "../support/coingecko_stub.ts";
import { runCommand } from "../support/run.ts";

/** The SCRAM listener of `deno task kafka:up`: its port and the local user. */
const SASL_BROKERS = Deno.env.get("KAFKA_TEST_SASL_BROKERS") ??
  `127.0.0.1:${Deno.env.get("KAFKA_SASL_PORT") ?? "9094"}`;
const USER = Deno.env.get("KAFKA_SCRAM_USER") ?? "crypto";
const PASSWORD = Deno.env.get("KAFKA_SCRAM_PASSWORD") ?? "crypto-secret";

function sasl(password: string, topic: string): Record<string, string> {
  return {
    KAFKA_BOOTSTRAP_SERVERS: SASL_BROKERS,
    KAFKA_SASL_MECHANISM: "scram-sha-256",
    KAFKA_SASL_USERNAME: USER,
    KAFKA_SASL_PASSWORD: password,
    KAFKA_TOPIC: topic,
    KAFKA_CONNECT_TIMEOUT: "20",
  };
}

kafkaTest(
  "produce and consume work through the SCRAM-SHA-256 listener, never printing the password",
  async () => {
    assert.ok(TEST_BROKERS !== SASL_BROKERS);
    const stub = await CoinGeckoStub.start();
    const topic = freshTopic("it-sasl");
    try {
      const produced = await runCommand("produce", {
        args: ["--iterations", "2", "--interval", "0.1"],
        env: { ...sasl(PASSWORD, topic), COINGECKO_BASE_URL: stub.url, API_RATE_LIMIT_DELAY: "0" },
      });
      assert.equal(produced.code, 0, produced.stdout + produced.stderr);
      assert.equal(produced.stdout.match(/^Produced: /gm)?.length, 4);
      const consumed = await runCommand("consume", {
        args: [
          "--from-beginning",
          "--max-messages",
          "4",
          "--format",
          "line",
          "--group",
          freshTopic("g"),
        ],
        env: sasl(PASSWORD, topic),
      });
      assert.equal(consumed.code, 0, consumed.stderr);
      assert.equal(consumed.stdout.match(/^Message #\d+ - /gm)?.length, 4);
      for (const run of [produced, consumed]) {
        assert.ok(!(run.stdout + run.stderr).includes(PASSWORD), "the password was printed");
      }
    } finally {
      await stub.close();
    }
  },
);

kafkaTest(
  "a wrong SASL password fails at once with exit 1, naming the credentials but not the password",
  async () => {
    const wrong = "not-the-password-7731";
    for (const command of ["produce", "consume", "lag"]) {
      const run = await runCommand(command, { env: sasl(wrong, freshTopic("it-sasl-bad")) });
      assert.equal(run.code, 1, `${command}: ${run.stdout}${run.stderr}`);
      const errors = run.stderr.split("\n").filter((l) => l.startsWith("error:"));
      assert.equal(errors.length, 1, run.stderr);
      assert.match(errors[0]!, /refused the credentials of user "crypto" \(SCRAM-SHA-256\)/);
      assert.match(errors[0]!, /KAFKA_SASL_PASSWORD/);
      assert.ok(!(run.stdout + run.stderr).includes(wrong), `${command} printed the password`);
    }
  },
);
