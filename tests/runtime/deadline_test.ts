import assert from "node:assert/strict";
import { deadline, DeadlineError } from "../../runtime/deadline.ts";

Deno.test("deadline() gives the promise's value when it settles in time", async () => {
  assert.equal(await deadline(Promise.resolve("value"), 1_000), "value");
});

Deno.test("deadline() passes the promise's own rejection on", async () => {
  await assert.rejects(deadline(Promise.reject(new RangeError("bad")), 1_000), RangeError);
});

Deno.test("deadline() rejects with DeadlineError naming the time once it runs out", async () => {
  const error = await deadline(new Promise(() => {}), 5).catch((e) => e);
  assert.ok(error instanceof DeadlineError);
  assert.equal(error.ms, 5);
  assert.equal(error.message, "No answer within 5 ms");
});

Deno.test("deadline() rejects with the signal's reason once the signal aborts", async () => {
  const controller = new AbortController();
  const waiting = deadline(new Promise(() => {}), 60_000, { signal: controller.signal });
  controller.abort(new Error("stopped"));
  await assert.rejects(waiting, { message: "stopped" });
});

Deno.test("deadline() rejects at once for a signal already aborted", async () => {
  const controller = new AbortController();
  controller.abort(new Error("before"));
  await assert.rejects(
    deadline(Promise.resolve(1), 60_000, { signal: controller.signal }),
    { message: "before" },
  );
});
