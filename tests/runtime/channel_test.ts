import assert from "node:assert/strict";
import { Channel, ChannelClosedError, sendAll } from "../../runtime/channel.ts";

/** Lets every pending microtask and one macrotask run, then says whether `promise` settled. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, 0));
  return settled;
}

async function drain<T>(channel: Channel<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of channel) values.push(value);
  return values;
}

Deno.test("Channel.send() waits while the buffer is full", async () => {
  const channel = new Channel<number>(2);
  await channel.send(1);
  await channel.send(2);
  const third = channel.send(3);
  assert.equal(await hasSettled(third), false);
  assert.equal(channel.size, 2);
  await channel.receive();
  await third;
});

Deno.test("Channel.send() resumes once a receiver takes a value, keeping FIFO order", async () => {
  const channel = new Channel<number>(2);
  await channel.send(1);
  await channel.send(2);
  const third = channel.send(3);
  assert.equal(await channel.receive(), 1);
  assert.equal(await hasSettled(third), true);
  await third;
  assert.equal(channel.size, 2);
  assert.equal(await channel.receive(), 2);
  assert.equal(await channel.receive(), 3);
});

Deno.test("Channel.send() wakes waiting senders in the order they started waiting", async () => {
  const channel = new Channel<string>(1);
  await channel.send("a");
  const b = channel.send("b");
  const c = channel.send("c");
  assert.equal(await channel.receive(), "a");
  await b;
  assert.equal(await hasSettled(c), false);
  assert.equal(await channel.receive(), "b");
  await c;
  assert.equal(await channel.receive(), "c");
});

Deno.test("Channel.receive() returns values in the order they were sent", async () => {
  const channel = new Channel<number>(5);
  for (const n of [5, 3, 9, 1]) await channel.send(n);
  const received = [];
  for (let i = 0; i < 4; i++) received.push(await channel.receive());
  assert.deepEqual(received, [5, 3, 9, 1]);
  assert.equal(channel.size, 0);
});

Deno.test("Channel.receive() waits while the channel is empty", async () => {
  const channel = new Channel<string>(1);
  const received = channel.receive();
  assert.equal(await hasSettled(received), false);
  await channel.send("hello");
  assert.equal(await received, "hello");
  assert.equal(channel.size, 0);
});

Deno.test("Channel.receive() hands each value to exactly one of several waiting receivers", async () => {
  const channel = new Channel<number>(2);
  const first = channel.receive();
  const second = channel.receive();
  await channel.send(1);
  await channel.send(2);
  assert.deepEqual([await first, await second], [1, 2]);
  assert.equal(channel.size, 0);
});

Deno.test("Channel.close() lets receivers drain what is left, then iteration ends", async () => {
  const channel = new Channel<number>(3);
  await channel.send(1);
  await channel.send(2);
  channel.close();
  assert.equal(channel.closed, true);
  assert.deepEqual(await drain(channel), [1, 2]);
});

Deno.test("Channel async iteration yields values sent while it waits, until closed", async () => {
  const channel = new Channel<number>(1);
  const collected = drain(channel);
  await channel.send(1);
  await channel.send(2);
  await channel.send(3);
  channel.close();
  assert.deepEqual(await collected, [1, 2, 3]);
});

Deno.test("Channel.receive() rejects with ChannelClosedError once closed and drained", async () => {
  const channel = new Channel<number>(2);
  await channel.send(1);
  channel.close();
  assert.equal(await channel.receive(), 1);
  await assert.rejects(channel.receive(), ChannelClosedError);
});

Deno.test("Channel.close() rejects a waiting receive() with ChannelClosedError", async () => {
  const channel = new Channel<number>(2);
  const waiting = channel.receive();
  assert.equal(await hasSettled(waiting), false);
  channel.close();
  await assert.rejects(waiting, ChannelClosedError);
});

Deno.test("Channel.send() rejects with ChannelClosedError on a closed channel", async () => {
  const channel = new Channel<number>(2);
  channel.close();
  await assert.rejects(channel.send(1), ChannelClosedError);
  assert.equal(channel.size, 0);
});

Deno.test("Channel.close() rejects a send() waiting for room, and keeps what was buffered", async () => {
  const channel = new Channel<number>(1);
  await channel.send(1);
  const waiting = channel.send(2);
  assert.equal(await hasSettled(waiting), false);
  channel.close();
  await assert.rejects(waiting, ChannelClosedError);
  assert.deepEqual(await drain(channel), [1]);
});

Deno.test("Channel.send() aborted while waiting rejects with the signal's reason and adds nothing", async () => {
  const channel = new Channel<number>(1);
  await channel.send(1);
  const controller = new AbortController();
  const waiting = channel.send(2, { signal: controller.signal });
  assert.equal(await hasSettled(waiting), false);
  const reason = new Error("give up");
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  assert.equal(await channel.receive(), 1);
  assert.equal(channel.size, 0);
  // The aborted sender is no longer waiting: a later send goes straight in.
  await channel.send(3);
  channel.close();
  assert.deepEqual(await drain(channel), [3]);
});

Deno.test("Channel.send() with an already aborted signal rejects and adds nothing", async () => {
  const channel = new Channel<number>(1);
  await channel.send(1);
  const reason = new Error("already");
  await assert.rejects(channel.send(2, { signal: AbortSignal.abort(reason) }), (e) => e === reason);
  channel.close();
  assert.deepEqual(await drain(channel), [1]);
});

Deno.test("Channel.send() aborted after it was woken passes the room on to the next sender", async () => {
  const channel = new Channel<number>(1);
  await channel.send(1);
  const controller = new AbortController();
  const aborted = channel.send(2, { signal: controller.signal });
  const other = channel.send(3);
  const taken = channel.receive(); // takes 1 at once and wakes the first waiting sender…
  controller.abort(new Error("late")); // …which is aborted before it gets to run
  assert.equal(await taken, 1);
  await assert.rejects(aborted);
  // There is room, so the other waiting sender must not stay stuck.
  assert.equal(await hasSettled(other), true);
  assert.equal(await channel.receive(), 3);
});

Deno.test("Channel.receive() aborted while waiting rejects with the signal's reason and takes nothing", async () => {
  const channel = new Channel<number>(1);
  const controller = new AbortController();
  const waiting = channel.receive({ signal: controller.signal });
  assert.equal(await hasSettled(waiting), false);
  const reason = new Error("stop waiting");
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  await channel.send(42);
  assert.equal(channel.size, 1);
  assert.equal(await channel.receive(), 42);
});

Deno.test("Channel.receive() aborted while waiting leaves the next value to the receiver behind it", async () => {
  const channel = new Channel<number>(1);
  const controller = new AbortController();
  const aborted = channel.receive({ signal: controller.signal });
  const other = channel.receive();
  controller.abort(new Error("not me"));
  await assert.rejects(aborted);
  await channel.send(1);
  assert.equal(await hasSettled(other), true);
  assert.equal(await other, 1);
});

Deno.test("Channel.send() aborted while waiting leaves the freed room to the sender behind it", async () => {
  const channel = new Channel<number>(1);
  await channel.send(1);
  const controller = new AbortController();
  const aborted = channel.send(2, { signal: controller.signal });
  const other = channel.send(3);
  controller.abort(new Error("not me"));
  await assert.rejects(aborted);
  assert.equal(await channel.receive(), 1);
  assert.equal(await hasSettled(other), true);
  assert.equal(await channel.receive(), 3);
});

Deno.test("Channel.receive() with an already aborted signal on an empty channel rejects", async () => {
  const channel = new Channel<number>(1);
  const reason = new Error("already");
  await assert.rejects(channel.receive({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  await channel.send(1);
  assert.equal(await channel.receive(), 1);
});

Deno.test("Channel.receiveBatch() takes up to max values without waiting for more", async () => {
  const channel = new Channel<number>(10);
  for (let n = 1; n <= 5; n++) await channel.send(n);
  assert.deepEqual(await channel.receiveBatch(3), [1, 2, 3]);
  // Only two are left: it returns them rather than waiting for a third.
  assert.deepEqual(await channel.receiveBatch(3), [4, 5]);
  assert.equal(channel.size, 0);
});

Deno.test("Channel.receiveBatch() waits for the first value, then returns what is there", async () => {
  const channel = new Channel<number>(4);
  const batch = channel.receiveBatch(4);
  assert.equal(await hasSettled(batch), false);
  await channel.send(7);
  assert.deepEqual(await batch, [7]);
});

Deno.test("Channel.receiveBatch() frees room for every sender it unblocks", async () => {
  const channel = new Channel<number>(2);
  await channel.send(1);
  await channel.send(2);
  const three = channel.send(3);
  const four = channel.send(4);
  assert.deepEqual(await channel.receiveBatch(2), [1, 2]);
  await Promise.all([three, four]);
  assert.deepEqual(await channel.receiveBatch(5), [3, 4]);
});

Deno.test("Channel.receiveBatch() aborted while waiting rejects with the signal's reason", async () => {
  const channel = new Channel<number>(2);
  const controller = new AbortController();
  const waiting = channel.receiveBatch(2, { signal: controller.signal });
  const reason = new Error("enough");
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  await channel.send(1);
  assert.equal(channel.size, 1);
});

Deno.test("Channel.receiveBatch() rejects with ChannelClosedError once closed and drained", async () => {
  const channel = new Channel<number>(2);
  await channel.send(1);
  channel.close();
  assert.deepEqual(await channel.receiveBatch(5), [1]);
  await assert.rejects(channel.receiveBatch(5), ChannelClosedError);
});

Deno.test("Channel with drop-oldest overflow drops the oldest value, calls onDrop and counts it", async () => {
  const dropped: number[] = [];
  const channel = new Channel<number>(2, {
    overflow: "drop-oldest",
    onDrop: (value) => dropped.push(value),
  });
  for (let n = 1; n <= 5; n++) {
    const sent = channel.send(n);
    assert.equal(await hasSettled(sent), true, `send(${n}) must not wait`);
  }
  assert.deepEqual(dropped, [1, 2, 3]);
  assert.equal(channel.dropped, 3);
  assert.equal(channel.size, 2);
  channel.close();
  assert.deepEqual(await drain(channel), [4, 5]);
});

Deno.test("Channel with the default block overflow drops nothing", async () => {
  const channel = new Channel<number>(1);
  await channel.send(1);
  const second = channel.send(2);
  assert.equal(await hasSettled(second), false);
  assert.equal(channel.dropped, 0);
  assert.equal(await channel.receive(), 1);
  await second;
  assert.equal(await channel.receive(), 2);
});

Deno.test("Channel.requeue() puts values back in front, in order", async () => {
  const channel = new Channel<number>(4);
  await channel.send(3);
  await channel.send(4);
  channel.requeue([1, 2]);
  assert.equal(channel.size, 4);
  channel.close();
  assert.deepEqual(await drain(channel), [1, 2, 3, 4]);
});

Deno.test("Channel.requeue() goes beyond capacity, and senders wait until it is drained", async () => {
  const channel = new Channel<number>(2);
  await channel.send(3);
  await channel.send(4);
  channel.requeue([1, 2]);
  assert.equal(channel.size, 4);
  const five = channel.send(5);
  assert.equal(await channel.receive(), 1);
  assert.equal(await channel.receive(), 2);
  assert.equal(await hasSettled(five), false);
  assert.equal(await channel.receive(), 3);
  await five;
  channel.close();
  assert.deepEqual(await drain(channel), [4, 5]);
});

Deno.test("Channel.requeue() wakes waiting receivers", async () => {
  const channel = new Channel<string>(2);
  const first = channel.receive();
  const second = channel.receive();
  channel.requeue(["x", "y"]);
  assert.deepEqual([await first, await second], ["x", "y"]);
});

Deno.test("Channel.requeue() works on a closed channel, whose receivers then drain it", async () => {
  const channel = new Channel<number>(2);
  channel.close();
  channel.requeue([1]);
  assert.deepEqual(await drain(channel), [1]);
});

Deno.test("Channel constructor rejects a capacity that is not a positive integer", () => {
  for (const capacity of [0, -1, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => new Channel(capacity), RangeError, `capacity ${capacity}`);
  }
  assert.equal(new Channel(1).capacity, 1);
});

Deno.test("Channel carries many values through concurrent senders and receivers, losing and duplicating nothing", async () => {
  const senders = 3;
  const perSender = 1000;
  const channel = new Channel<{ sender: number; seq: number }>(4);
  const receive = async () => {
    const got: { sender: number; seq: number }[] = [];
    for await (const value of channel) {
      got.push(value);
      // Yield now and then, so the receivers interleave with the senders and each other.
      if (got.length % 97 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return got;
  };
  const receivers = [receive(), receive()];
  await Promise.all(
    Array.from({ length: senders }, async (_, sender) => {
      for (let seq = 0; seq < perSender; seq++) await channel.send({ sender, seq });
    }),
  );
  channel.close();
  const results = await Promise.all(receivers);

  const all = results.flat();
  assert.equal(all.length, senders * perSender);
  const keys = new Set(all.map((v) => `${v.sender}:${v.seq}`));
  assert.equal(keys.size, senders * perSender, "no value is duplicated");
  for (let sender = 0; sender < senders; sender++) {
    for (let seq = 0; seq < perSender; seq++) assert.ok(keys.has(`${sender}:${seq}`));
  }
  // Each receiver sees every sender's values in the order that sender sent them.
  for (const got of results) {
    assert.ok(got.length > 0, "both receivers take part");
    const last = new Map<number, number>();
    for (const { sender, seq } of got) {
      assert.ok(seq > (last.get(sender) ?? -1), `sender ${sender} out of order at ${seq}`);
      last.set(sender, seq);
    }
  }
});

Deno.test("Channel keeps per-sender order through receiveBatch with concurrent senders", async () => {
  const channel = new Channel<[number, number]>(3);
  const received: [number, number][] = [];
  const receiving = (async () => {
    while (true) {
      try {
        received.push(...await channel.receiveBatch(2));
      } catch (error) {
        if (error instanceof ChannelClosedError) return;
        throw error;
      }
    }
  })();
  await Promise.all(
    [0, 1, 2].map(async (sender) => {
      for (let seq = 0; seq < 500; seq++) await channel.send([sender, seq]);
    }),
  );
  channel.close();
  await receiving;
  for (const sender of [0, 1, 2]) {
    const seqs = received.filter(([s]) => s === sender).map(([, seq]) => seq);
    assert.deepEqual(seqs, Array.from({ length: 500 }, (_, i) => i));
  }
  assert.equal(received.length, 1500);
});

Deno.test("Channel.sendAll() puts in what fits, waits for room, and delivers every value in order", async () => {
  const channel = new Channel<number>(4);
  const values = Array.from({ length: 10 }, (_, i) => i);
  const sending = channel.sendAll(values);
  assert.equal(await hasSettled(sending), false, "settled with 10 values in a 4-slot channel");
  assert.equal(channel.size, 4);
  const received: number[] = [];
  while (received.length < values.length) received.push(await channel.receive());
  assert.equal(await sending, 10);
  assert.deepEqual(received, values);
});

Deno.test("Channel.sendAll() wakes a waiting receiver", async () => {
  const channel = new Channel<number>(4);
  const receiving = channel.receive();
  assert.equal(await channel.sendAll([7, 8]), 2);
  assert.equal(await receiving, 7);
  assert.equal(await channel.receive(), 8);
});

Deno.test("Channel.sendAll() aborted while waiting resolves to how many went in, adding no more", async () => {
  const channel = new Channel<number>(2);
  const controller = new AbortController();
  const sending = channel.sendAll([1, 2, 3, 4], { signal: controller.signal });
  assert.equal(await hasSettled(sending), false);
  controller.abort();
  assert.equal(await sending, 2);
  assert.equal(channel.size, 2);
  assert.deepEqual([await channel.receive(), await channel.receive()], [1, 2]);
});

Deno.test("Channel.sendAll() aborted while waiting leaves the freed room to a sender behind it", async () => {
  const channel = new Channel<number>(4);
  await channel.sendAll([1, 2, 3, 4]);
  const controller = new AbortController();
  const batch = channel.sendAll([5, 6, 7], { signal: controller.signal });
  const single = channel.send(9);
  await channel.receive();
  controller.abort();
  assert.equal(await batch, 0);
  assert.equal(await hasSettled(single), true, "the single send never got the freed slot");
  const rest: number[] = [];
  channel.close();
  for await (const value of channel) rest.push(value);
  assert.deepEqual(rest, [2, 3, 4, 9]);
});

Deno.test("Channel.sendAll() rejects with ChannelClosedError on a closed channel", async () => {
  const channel = new Channel<number>(2);
  channel.close();
  await assert.rejects(channel.sendAll([1]), ChannelClosedError);
});

Deno.test("Channel.sendAll() with drop-oldest takes every value at once, dropping the oldest", async () => {
  const dropped: number[] = [];
  const channel = new Channel<number>(3, {
    overflow: "drop-oldest",
    onDrop: (v) => dropped.push(v),
  });
  assert.equal(await channel.sendAll([1, 2, 3, 4, 5]), 5);
  assert.deepEqual(dropped, [1, 2]);
  assert.equal(channel.dropped, 2);
  assert.deepEqual([await channel.receive(), await channel.receive(), await channel.receive()], [
    3,
    4,
    5,
  ]);
});

Deno.test("sendAll() on an outbox without sendAll sends one value after another", async () => {
  const sent: number[] = [];
  const outbox = { send: (value: number) => Promise.resolve(void sent.push(value)) };
  assert.equal(await sendAll(outbox, [1, 2, 3]), 3);
  assert.deepEqual(sent, [1, 2, 3]);
});
