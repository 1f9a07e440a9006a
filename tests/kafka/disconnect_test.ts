import assert from "node:assert/strict";
import { disconnectWithin } from "../../kafka/connect.ts";

Deno.test("disconnectWithin() goes on past a client that never finishes disconnecting", async () => {
  const order: string[] = [];
  const hung = { disconnect: () => (order.push("hung"), new Promise<void>(() => {})) };
  const quick = { disconnect: () => (order.push("quick"), Promise.resolve()) };
  const started = performance.now();
  const late = await disconnectWithin([hung, quick], 200);
  const ms = performance.now() - started;
  assert.deepEqual(late, [0]);
  assert.deepEqual(order, ["hung", "quick"], "the next client is still disconnected");
  assert.ok(ms >= 150 && ms < 5_000, `took ${ms} ms`);
});

Deno.test("disconnectWithin() takes a failed disconnect as done", async () => {
  const failing = { disconnect: () => Promise.reject(new Error("connection reset")) };
  assert.deepEqual(await disconnectWithin([failing], 1_000), []);
});
