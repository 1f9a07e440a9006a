import assert from "node:assert/strict";
import type { KafkaConfig } from "../../config/types.ts";
import { connectWithin } from "../../kafka/connect.ts";
import { BrokerAuthenticationError, BrokerUnreachableError } from "../../kafka/transport.ts";
import { disconnectWithin } from "../../kafka/connect.ts";
import { settles } from "../support/wait.ts";

const config = (connectTimeoutMs: number): KafkaConfig => ({
  brokers: ["127.0.0.1:1"],
  topic: "t",
  partitions: 1,
  replicationFactor: 1,
  clientId: "connect-test",
  ssl: false,
  sasl: null,
  connectTimeoutMs,
});

Deno.test("connectWithin() gives up at the deadline on an attempt that never answers, saying so", async () => {
  // The message is the deadline's (an attempt cut short by it); the test's limit bounds a hang.
  await settles(
    assert.rejects(
      connectWithin(config(600), { attempt: () => new Promise<void>(() => {}) }),
      (error: unknown) => {
        assert.ok(error instanceof BrokerUnreachableError);
        assert.equal(
          error.message,
          "Cannot reach Kafka at 127.0.0.1:1 within 1s: no answer before the deadline",
        );
        return true;
      },
    ),
    { message: "connectWithin() to give up", timeoutMs: 15_000 },
  );
});

Deno.test("connectWithin() retries a failing attempt and reports the client's last error", async () => {
  let attempts = 0;
  await assert.rejects(
    connectWithin(config(3_000), {
      attempt: () => Promise.reject(new Error(`connect ECONNREFUSED #${++attempts}`)),
    }),
    (error: unknown) => {
      assert.ok(error instanceof BrokerUnreachableError);
      assert.match(error.message, new RegExp(`within 3s: connect ECONNREFUSED #${attempts}$`));
      return true;
    },
  );
  assert.ok(attempts >= 2, `${attempts} attempts`);
});

Deno.test("connectWithin() stops at once when the broker refuses the credentials", async () => {
  let attempts = 0;
  const refused = Object.assign(new Error("SASL authentication failed."), {
    code: "PLT_KFK_AUTHENTICATION",
  });
  await assert.rejects(
    connectWithin(config(5_000), { attempt: () => (attempts++, Promise.reject(refused)) }),
    BrokerAuthenticationError,
  );
  assert.equal(attempts, 1);
});

Deno.test("connectWithin() resolves once an attempt succeeds", async () => {
  let attempts = 0;
  await connectWithin(config(5_000), {
    attempt: () => ++attempts < 2 ? Promise.reject(new Error("not yet")) : Promise.resolve(),
  });
  assert.equal(attempts, 2);
});

Deno.test("disconnectWithin() goes on past a client that never finishes disconnecting", async () => {
  const order: string[] = [];
  const hung = { disconnect: () => (order.push("hung"), new Promise<void>(() => {})) };
  const quick = { disconnect: () => (order.push("quick"), Promise.resolve()) };
  const late = await settles(disconnectWithin([hung, quick], 200), {
    message: "disconnectWithin() to go on past the hung client",
    timeoutMs: 15_000,
  });
  assert.deepEqual(late, [0], "the hung client is told as late");
  assert.deepEqual(order, ["hung", "quick"], "the next client is still disconnected");
});

Deno.test("disconnectWithin() takes a failed disconnect as done", async () => {
  const failing = { disconnect: () => Promise.reject(new Error("connection reset")) };
  assert.deepEqual(await disconnectWithin([failing], 1_000), []);
});
