import assert from "node:assert/strict";
import { ManualClock } from "./manual_clock.ts";

Deno.test("ManualClock wakes each sleep once advance() carries time to its end, in time order", async () => {
  const clock = new ManualClock(1_000);
  const woke: string[] = [];
  const long = clock.sleep(300).then(() => woke.push(`long at ${clock.now()}`));
  const short = clock.sleep(100).then(() => woke.push(`short at ${clock.now()}`));
  assert.deepEqual(clock.pending, [100, 300]);
  clock.advance(99);
  await Promise.resolve();
  assert.deepEqual(woke, []);
  clock.advance(1);
  await short;
  assert.deepEqual(clock.pending, [300]);
  clock.advance(500);
  await long;
  assert.deepEqual(woke, ["short at 1100", "long at 1600"]);
  assert.deepEqual(clock.sleeps, [300, 100]);
});

Deno.test("ManualClock.sleep() rejects with the signal's reason on abort and stops waiting", async () => {
  const clock = new ManualClock();
  const controller = new AbortController();
  const sleeping = clock.sleep(50, { signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(sleeping, { message: "stop" });
  assert.deepEqual(clock.pending, []);
  await assert.rejects(clock.sleep(1, { signal: controller.signal }), { message: "stop" });
});
