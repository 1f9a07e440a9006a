import assert from "node:assert/strict";
import { sendWithRoom } from "../../actors/send_with_room.ts";
import { Channel } from "../../runtime/channel.ts";
import { systemClock } from "../../runtime/delay.ts";

Deno.test("sendWithRoom() hands a long run to a drop-oldest channel in parts, waiting for room, so nothing is dropped", async () => {
  const channel = new Channel<number>(10, { overflow: "drop-oldest" });
  await channel.send(-1);
  const send = sendWithRoom(channel, systemClock);
  const values = Array.from({ length: 100 }, (_, i) => i);
  const sending = send(values, AbortSignal.timeout(5_000));
  const got: number[] = [];
  while (got.length < 101) {
    got.push(await channel.receive());
    if (got.length % 7 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  await sending;
  assert.deepEqual(got, [-1, ...values]);
  assert.equal(channel.dropped, 0);
});

Deno.test("sendWithRoom() stops waiting when its signal aborts", async () => {
  const channel = new Channel<number>(2, { overflow: "drop-oldest" });
  await channel.send(0);
  await channel.send(0);
  const controller = new AbortController();
  const sending = sendWithRoom(channel, systemClock)([1, 2], controller.signal);
  setTimeout(() => controller.abort(new Error("stop")), 30);
  await assert.rejects(sending, /stop/);
  assert.equal(channel.dropped, 0);
});
