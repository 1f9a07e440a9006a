import assert from "node:assert/strict";
import type { ActorContext } from "../../runtime/actor.ts";
import { Channel, type Inbox, type Outbox } from "../../runtime/channel.ts";
import { Supervisor, SupervisorError, type SupervisorEvent } from "../../runtime/supervisor.ts";
import { FakeClock } from "../support/fake_clock.ts";

/** Waits (one macrotask at a time, at most 1000) until `condition` holds. */
async function until(condition: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** Resolves when the signal aborts, then rejects with its reason, as an actor that obeys it would. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

function crashDelays(events: SupervisorEvent[]): (number | null)[] {
  return events.flatMap((e) => (e.type === "crash" ? [e.restartInMs] : []));
}

function ofType<K extends SupervisorEvent["type"]>(
  events: SupervisorEvent[],
  type: K,
): Extract<SupervisorEvent, { type: K }>[] {
  return events.filter((e): e is Extract<SupervisorEvent, { type: K }> => e.type === type);
}

/** A source that sends `values` into its outbox and returns. */
function sendAll(values: readonly number[]) {
  return async (_inbox: Inbox<unknown>, outbox: Outbox<number>, ctx: ActorContext) => {
    for (const value of values) await outbox.send(value, { signal: ctx.signal });
  };
}

/** A sink that appends everything from its inbox to `into`. */
function collectInto(into: number[]) {
  return async (inbox: Inbox<number>) => {
    for await (const value of inbox) into.push(value);
  };
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

Deno.test("Supervisor restarts a crashed transient child, with ctx.attempt growing", async () => {
  const clock = new FakeClock();
  const attempts: number[] = [];
  const supervisor = new Supervisor([{
    name: "flaky",
    restart: "transient",
    actor: (_inbox, _outbox, ctx) => {
      attempts.push(ctx.attempt);
      return ctx.attempt < 3 ? Promise.reject(new Error("boom")) : Promise.resolve();
    },
  }], { clock, backoffJitter: 0 });
  await supervisor.run();
  assert.deepEqual(attempts, [0, 1, 2, 3]);
  assert.deepEqual(supervisor.restarts, { flaky: 3 });
});

Deno.test("Supervisor does not restart a transient child that returns normally", async () => {
  const clock = new FakeClock();
  const events: SupervisorEvent[] = [];
  let runs = 0;
  const supervisor = new Supervisor([{
    name: "once",
    restart: "transient",
    actor: () => {
      runs++;
      return Promise.resolve();
    },
  }], { clock, onEvent: (e) => events.push(e) });
  await supervisor.run();
  assert.equal(runs, 1);
  assert.deepEqual(events, []);
  assert.deepEqual(clock.sleeps, []);
});

Deno.test("Supervisor never restarts a temporary child, even after a crash", async () => {
  const clock = new FakeClock();
  const events: SupervisorEvent[] = [];
  const error = new Error("boom");
  let runs = 0;
  const supervisor = new Supervisor([{
    name: "temp",
    restart: "temporary",
    actor: () => {
      runs++;
      return Promise.reject(error);
    },
  }], { clock, onEvent: (e) => events.push(e) });
  await supervisor.run();
  assert.equal(runs, 1);
  assert.deepEqual(events, [{ type: "crash", child: "temp", error, restartInMs: null }]);
  assert.deepEqual(supervisor.restarts, { temp: 0 });
});

Deno.test("Supervisor restarts a permanent child after a normal return until its inbox is closed and drained", async () => {
  const clock = new FakeClock();
  const inbox = new Channel<number>(5);
  for (const n of [1, 2, 3]) await inbox.send(n);
  inbox.close();
  const handled: [attempt: number, value: number][] = [];
  const supervisor = new Supervisor([{
    name: "one-at-a-time",
    inbox,
    restart: "permanent",
    actor: async (inbox: Inbox<number>, _outbox, ctx) => {
      handled.push([ctx.attempt, await inbox.receive()]);
    },
  }], { clock, backoffJitter: 0 });
  await supervisor.run();
  assert.deepEqual(handled, [[0, 1], [1, 2], [2, 3]]);
  assert.deepEqual(supervisor.restarts, { "one-at-a-time": 2 });
});

Deno.test("Supervisor restarts a permanent child without an inbox after a normal return", async () => {
  const clock = new FakeClock();
  let runs = 0;
  const supervisor = new Supervisor([{
    name: "poller",
    actor: async (_inbox, _outbox, ctx) => {
      runs++;
      if (runs === 3) await untilAborted(ctx.signal);
    },
  }], { clock, backoffJitter: 0 });
  const running = supervisor.run();
  await until(() => runs === 3, "the third run");
  await supervisor.stop();
  await running;
  assert.equal(runs, 3);
  assert.deepEqual(supervisor.restarts, { poller: 2 });
});

Deno.test("Supervisor restart delays grow by 2 from backoffMinMs up to backoffMaxMs", async () => {
  const clock = new FakeClock();
  const events: SupervisorEvent[] = [];
  const supervisor = new Supervisor([{
    name: "crasher",
    restart: "transient",
    actor: (_inbox, _outbox, ctx) =>
      ctx.attempt < 7 ? Promise.reject(new Error(`crash ${ctx.attempt}`)) : Promise.resolve(),
  }], {
    clock,
    backoffJitter: 0,
    backoffMinMs: 100,
    backoffMaxMs: 1_000,
    maxRestarts: 7, // Exactly enough: 4.5 s of delays fit in the default 60 s window.
    onEvent: (e) => events.push(e),
  });
  await supervisor.run();
  const expected = [100, 200, 400, 800, 1_000, 1_000, 1_000];
  assert.deepEqual(crashDelays(events), expected);
  // The supervisor really waited those delays on the clock.
  assert.deepEqual(clock.sleeps, expected);
  assert.deepEqual(
    ofType(events, "restart").map((e) => e.attempt),
    [1, 2, 3, 4, 5, 6, 7],
  );
});

Deno.test("Supervisor restart delay starts over after a child ran for resetAfterMs", async () => {
  const clock = new FakeClock();
  const events: SupervisorEvent[] = [];
  // How long (virtual ms) each run lives before it crashes; the last one returns normally.
  const lifetimes = [0, 999, 1_000, 0];
  let run = 0;
  const supervisor = new Supervisor([{
    name: "worker",
    restart: "transient",
    actor: async (_inbox, _outbox, ctx) => {
      const lifetime = lifetimes[run++];
      if (lifetime === undefined) return;
      await clock.sleep(lifetime, { signal: ctx.signal });
      throw new Error(`crash after ${lifetime} ms`);
    },
  }], {
    clock,
    backoffJitter: 0,
    backoffMinMs: 100,
    resetAfterMs: 1_000,
    onEvent: (e) => events.push(e),
  });
  await supervisor.run();
  // 999 ms is not enough to reset (200); 1000 ms is (back to 100); then it grows again (200).
  assert.deepEqual(crashDelays(events), [100, 200, 100, 200]);
});

Deno.test("Supervisor.run() rejects with SupervisorError past maxRestarts within withinMs, stopping the other children", async () => {
  const clock = new FakeClock();
  const events: SupervisorEvent[] = [];
  const listenerInbox = new Channel<number>(1);
  const thrown: Error[] = [];
  let listenerEnded = false;
  let waiterAborted = false;
  const supervisor = new Supervisor([
    {
      name: "listener",
      inbox: listenerInbox,
      actor: async (inbox: Inbox<number>) => {
        for await (const _ of inbox) { /* nothing arrives */ }
        listenerEnded = true;
      },
    },
    {
      name: "waiter",
      actor: async (_inbox, _outbox, ctx) => {
        try {
          await untilAborted(ctx.signal);
        } finally {
          waiterAborted = ctx.signal.aborted;
        }
      },
    },
    {
      name: "crasher",
      actor: (_inbox, _outbox, ctx) => {
        const error = new Error(`crash ${ctx.attempt}`);
        thrown.push(error);
        return Promise.reject(error);
      },
    },
  ], {
    clock,
    backoffJitter: 0,
    maxRestarts: 2,
    withinMs: 10_000,
    onEvent: (e) => events.push(e),
  });
  const error = await supervisor.run().then(
    () => assert.fail("run() should reject"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof SupervisorError, `got ${error}`);
  assert.equal(thrown.length, 3);
  assert.equal(error.cause, thrown[2]);
  assert.match(error.message, /crasher/);
  assert.equal(listenerEnded, true, "the listener's inbox was closed");
  assert.equal(listenerInbox.closed, true);
  assert.equal(waiterAborted, true, "the waiter's signal was aborted");
  const giveUps = ofType(events, "give-up");
  assert.equal(giveUps.length, 1);
  assert.equal(giveUps[0]?.child, "crasher");
  assert.equal(giveUps[0]?.error, thrown[2]);
});

Deno.test("Supervisor tolerates any number of crashes spread wider than withinMs", async () => {
  const clock = new FakeClock();
  let runs = 0;
  const supervisor = new Supervisor([{
    name: "slow-crasher",
    restart: "transient",
    actor: async (_inbox, _outbox, ctx) => {
      if (++runs > 6) return;
      await clock.sleep(300, { signal: ctx.signal });
      throw new Error("crash");
    },
  }], {
    clock,
    backoffJitter: 0,
    backoffMinMs: 100,
    backoffMaxMs: 100,
    maxRestarts: 1,
    withinMs: 350,
    resetAfterMs: 1_000_000,
  });
  // Crashes come 400 ms apart, so there is never more than one within 350 ms.
  await supervisor.run();
  assert.equal(runs, 7);
});

Deno.test("Supervisor.run() gives up when crashes come faster than withinMs allows", async () => {
  const clock = new FakeClock();
  let runs = 0;
  const supervisor = new Supervisor([{
    name: "slow-crasher",
    restart: "transient",
    actor: async (_inbox, _outbox, ctx) => {
      if (++runs > 6) return;
      await clock.sleep(300, { signal: ctx.signal });
      throw new Error("crash");
    },
  }], {
    clock,
    backoffJitter: 0,
    backoffMinMs: 100,
    backoffMaxMs: 100,
    maxRestarts: 1,
    withinMs: 450,
    resetAfterMs: 1_000_000,
  });
  // Same crashes as above, 400 ms apart, but now two fall within 450 ms.
  await assert.rejects(supervisor.run(), SupervisorError);
  assert.equal(runs, 2);
});

Deno.test("Supervisor.stop() stops a pipeline source first and lets each stage drain in turn", async () => {
  const toA = new Channel<number>(5, { name: "toA" });
  const toB = new Channel<number>(2, { name: "toB" });
  const events: string[] = [];
  const supervisorEvents: SupervisorEvent[] = [];
  const sent: number[] = [];
  const received: number[] = [];
  let openGate = () => {};
  const gate = new Promise<void>((resolve) => (openGate = resolve));

  const supervisor = new Supervisor([
    {
      name: "B",
      inbox: toB,
      actor: async (inbox: Inbox<number>) => {
        for await (const value of inbox) {
          events.push(`B ${value}`);
          received.push(value);
        }
        events.push("B end");
      },
    },
    {
      name: "A",
      inbox: toA,
      outbox: toB,
      actor: async (inbox: Inbox<number>, outbox: Outbox<number>) => {
        await gate; // A holds back until the test says, so values wait in its inbox.
        for await (const value of inbox) {
          events.push(`A ${value}`);
          await outbox.send(value * 10);
        }
        events.push("A end");
      },
    },
    {
      name: "source",
      outbox: toA,
      actor: async (_inbox, outbox: Outbox<number>, ctx) => {
        try {
          for (let n = 1;; n++) {
            await outbox.send(n, { signal: ctx.signal });
            sent.push(n);
          }
        } finally {
          events.push("source end");
        }
      },
    },
  ], { onEvent: (e) => supervisorEvents.push(e) });
  const running = supervisor.run();
  await until(() => toA.size === toA.capacity, "the source to fill A's inbox");

  const stopping = supervisor.stop();
  await until(() => events.includes("source end"), "the source to stop");
  // The source stopped and A's inbox is closed, but A still has everything to drain and B's inbox
  // is open.
  assert.deepEqual(events, ["source end"]);
  assert.equal(toA.closed, true);
  assert.equal(toA.size, 5);
  assert.equal(toB.closed, false);

  openGate();
  await stopping;
  await running;

  assert.deepEqual(sent, [1, 2, 3, 4, 5]);
  assert.deepEqual(events.filter((e) => /^A \d/.test(e)), ["A 1", "A 2", "A 3", "A 4", "A 5"]);
  assert.deepEqual(received, [10, 20, 30, 40, 50]);
  assert.ok(events.indexOf("A end") < events.indexOf("B end"), events.join(", "));
  assert.equal(events.at(-1), "B end");
  assert.equal(toB.closed, true);
  assert.deepEqual(supervisorEvents, [], "no crash and no timeout");
});

Deno.test("Supervisor.stop() aborts a child that keeps running after its inbox closed, once shutdownMs is up", async () => {
  const inbox = new Channel<number>(1);
  const events: SupervisorEvent[] = [];
  let sawClosedInbox = false;
  let aborted = false;
  const supervisor = new Supervisor([{
    name: "stubborn",
    inbox,
    shutdownMs: 50,
    actor: async (_inbox, _outbox, ctx) => {
      try {
        await untilAborted(ctx.signal); // Ignores its inbox entirely.
      } finally {
        sawClosedInbox = inbox.closed;
        aborted = ctx.signal.aborted;
      }
    },
  }], { onEvent: (e) => events.push(e) });
  const running = supervisor.run();
  await supervisor.stop();
  await running;
  assert.equal(aborted, true);
  assert.equal(sawClosedInbox, true, "the inbox was closed before the abort");
  assert.deepEqual(events, [{ type: "stop-timeout", child: "stubborn", shutdownMs: 50 }]);
});

Deno.test("Supervisor.stop() cancels a pending restart", async () => {
  const events: SupervisorEvent[] = [];
  const attempts: number[] = [];
  const supervisor = new Supervisor([{
    name: "crasher",
    restart: "transient",
    actor: (_inbox, _outbox, ctx) => {
      attempts.push(ctx.attempt);
      return Promise.reject(new Error("boom"));
    },
  }], { backoffMinMs: 60_000, backoffJitter: 0, onEvent: (e) => events.push(e) });
  const running = supervisor.run();
  await until(() => events.length > 0, "the crash");
  await supervisor.stop();
  await running;
  assert.deepEqual(attempts, [0]);
  assert.deepEqual(ofType(events, "restart"), []);
});

Deno.test("Supervisor.stop() during a restart delay still drains the crashed child's inbox", async () => {
  const events: SupervisorEvent[] = [];
  const toMiddle = new Channel<number>(5);
  const toSink = new Channel<number>(5);
  for (const n of [1, 2, 3]) await toMiddle.send(n);
  const received: number[] = [];
  let crashed = false;
  const supervisor = new Supervisor([
    { name: "sink", inbox: toSink, actor: collectInto(received) },
    {
      name: "middle",
      inbox: toMiddle,
      outbox: toSink,
      actor: async (inbox: Inbox<number>, outbox: Outbox<number>) => {
        for await (const value of inbox) {
          if (!crashed) {
            crashed = true;
            throw new Error(`failed on ${value}`);
          }
          await outbox.send(value);
        }
      },
    },
  ], { backoffMinMs: 60_000, backoffJitter: 0, onEvent: (e) => events.push(e) });
  const running = supervisor.run();
  await until(() => events.length > 0, "the crash");
  await supervisor.stop();
  await running;
  assert.deepEqual(received, [1, 2, 3]);
  assert.deepEqual(ofType(events, "dead-letter"), []);
});

Deno.test("Supervisor loses nothing when a middle actor crashes: the value it was handling is redelivered", async () => {
  const clock = new FakeClock();
  const events: SupervisorEvent[] = [];
  const toMiddle = new Channel<number>(3);
  const toSink = new Channel<number>(3);
  const seenByMiddle: number[] = [];
  const received: number[] = [];
  let crashed = false;
  const supervisor = new Supervisor([
    { name: "sink", inbox: toSink, actor: collectInto(received) },
    {
      name: "middle",
      inbox: toMiddle,
      outbox: toSink,
      actor: async (inbox: Inbox<number>, outbox: Outbox<number>) => {
        let handled = 0;
        for await (const value of inbox) {
          seenByMiddle.push(value);
          if (++handled === 3 && !crashed) {
            crashed = true;
            throw new Error(`failed on ${value}`);
          }
          await outbox.send(value);
        }
      },
    },
    { name: "source", outbox: toMiddle, restart: "transient", actor: sendAll(range(1, 10)) },
  ], { clock, backoffJitter: 0, onEvent: (e) => events.push(e) });
  await supervisor.run();
  assert.deepEqual(received, range(1, 10));
  assert.deepEqual(seenByMiddle, [1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(crashDelays(events), [100]);
  assert.deepEqual(ofType(events, "dead-letter"), []);
  assert.deepEqual(supervisor.restarts, { sink: 0, middle: 1, source: 0 });
});

Deno.test("Supervisor drops a poison value that crashes every delivery and reports it once as a dead letter", async () => {
  const clock = new FakeClock();
  const events: SupervisorEvent[] = [];
  const toMiddle = new Channel<number>(3);
  const toSink = new Channel<number>(3);
  const received: number[] = [];
  let poisonDeliveries = 0;
  const supervisor = new Supervisor([
    { name: "sink", inbox: toSink, actor: collectInto(received) },
    {
      name: "middle",
      inbox: toMiddle,
      outbox: toSink,
      actor: async (inbox: Inbox<number>, outbox: Outbox<number>) => {
        for await (const value of inbox) {
          if (value === 5) {
            poisonDeliveries++;
            throw new Error("poison");
          }
          await outbox.send(value);
        }
      },
    },
    { name: "source", outbox: toMiddle, restart: "transient", actor: sendAll(range(1, 10)) },
  ], { clock, backoffJitter: 0, onEvent: (e) => events.push(e) });
  await supervisor.run();
  assert.deepEqual(received, [1, 2, 3, 4, 6, 7, 8, 9, 10]);
  assert.equal(poisonDeliveries, 2);
  const deadLetters = ofType(events, "dead-letter");
  assert.equal(deadLetters.length, 1);
  assert.equal(deadLetters[0]?.child, "middle");
  assert.deepEqual(deadLetters[0]?.values, [5]);
  assert.match(String(deadLetters[0]?.error), /poison/);
});

Deno.test("Supervisor retries a crashed batch one value at a time, so only the poison value is dropped", async () => {
  const clock = new FakeClock();
  const events: SupervisorEvent[] = [];
  const toBatcher = new Channel<number>(10);
  const toSink = new Channel<number>(10);
  const received: number[] = [];
  const batches: number[][] = [];
  const supervisor = new Supervisor([
    { name: "sink", inbox: toSink, actor: collectInto(received) },
    {
      name: "batcher",
      inbox: toBatcher,
      outbox: toSink,
      actor: async (inbox: Inbox<number>, outbox: Outbox<number>) => {
        while (true) {
          let batch: number[];
          try {
            batch = await inbox.receiveBatch(4);
          } catch {
            return;
          }
          batches.push(batch);
          if (batch.includes(6)) throw new Error("poison in batch");
          for (const value of batch) await outbox.send(value);
        }
      },
    },
    { name: "source", outbox: toBatcher, restart: "transient", actor: sendAll(range(1, 10)) },
  ], { clock, backoffJitter: 0, onEvent: (e) => events.push(e) });
  await supervisor.run();
  assert.deepEqual(received.toSorted((a, b) => a - b), [1, 2, 3, 4, 5, 7, 8, 9, 10]);
  const deadLetters = ofType(events, "dead-letter");
  assert.deepEqual(deadLetters.map((d) => d.values), [[6]]);
  // After the crash, the values it held come back one by one; then batches resume.
  const crashedAt = batches.findIndex((b) => b.includes(6));
  const crashed = batches[crashedAt]!;
  assert.ok(crashed.length > 1, `the crash should hit a batch: ${JSON.stringify(batches)}`);
  assert.ok(
    batches.slice(crashedAt + 1, crashedAt + 1 + crashed.length).every((b) => b.length === 1),
  );
});

Deno.test("Supervisor.run() resolves once a transient source finishes and the pipeline drains", async () => {
  const clock = new FakeClock();
  const events: SupervisorEvent[] = [];
  const toDouble = new Channel<number>(2);
  const toSink = new Channel<number>(2);
  const received: number[] = [];
  const supervisor = new Supervisor([
    { name: "sink", inbox: toSink, actor: collectInto(received) },
    {
      name: "double",
      inbox: toDouble,
      outbox: toSink,
      actor: async (inbox: Inbox<number>, outbox: Outbox<number>) => {
        for await (const value of inbox) await outbox.send(value * 2);
      },
    },
    { name: "source", outbox: toDouble, restart: "transient", actor: sendAll(range(1, 20)) },
  ], { clock, onEvent: (e) => events.push(e) });
  await supervisor.run();
  assert.deepEqual(received, range(1, 20).map((n) => n * 2));
  assert.equal(toDouble.closed, true);
  assert.equal(toSink.closed, true);
  assert.deepEqual(events, []);
  assert.deepEqual(clock.sleeps, []);
});

Deno.test("Supervisor constructor throws TypeError on duplicate child names", () => {
  const actor = () => Promise.resolve();
  assert.throws(
    () =>
      new Supervisor([{ name: "twin", actor }, { name: "other", actor }, { name: "twin", actor }]),
    (error: unknown) => error instanceof TypeError && /twin/.test(error.message),
  );
});

Deno.test("Supervisor treats a ChannelClosedError from a drained inbox as the actor finishing", async () => {
  const clock = new FakeClock();
  const inbox = new Channel<number>(4);
  const seen: number[] = [];
  const events: SupervisorEvent[] = [];
  const supervisor = new Supervisor([{
    name: "reader",
    inbox,
    restart: "permanent",
    actor: async (box: Inbox<number>) => {
      while (true) seen.push(await box.receive());
    },
  }], { clock, onEvent: (e) => events.push(e) });
  await inbox.send(1);
  await inbox.send(2);
  inbox.close();
  await supervisor.run();
  assert.deepEqual(seen, [1, 2]);
  assert.deepEqual(ofType(events, "crash"), []);
  assert.equal(supervisor.restarts.reader, 0);
});

Deno.test("Supervisor retries an equal value that crashes for the first time after an earlier one was handled", async () => {
  const clock = new FakeClock();
  const inbox = new Channel<string>(8);
  const handled: string[] = [];
  const events: SupervisorEvent[] = [];
  let crashes = 0;
  const supervisor = new Supervisor([{
    name: "worker",
    inbox,
    restart: "transient",
    actor: async (box: Inbox<string>) => {
      for await (const value of box) {
        // "x" crashes the first delivery of its first and of its second occurrence.
        if (value === "x" && crashes < 2 && handled.filter((v) => v === "x").length === crashes) {
          crashes++;
          throw new Error(`crash on ${value}`);
        }
        handled.push(value);
      }
    },
  }], { clock, onEvent: (e) => events.push(e) });
  for (const value of ["x", "a", "x", "b"]) await inbox.send(value);
  inbox.close();
  await supervisor.run();
  assert.deepEqual(handled, ["x", "a", "x", "b"]);
  assert.deepEqual(ofType(events, "dead-letter"), []);
  assert.equal(crashes, 2);
});
