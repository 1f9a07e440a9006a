import assert from "node:assert/strict";
import { injectFaults } from "../../actors/fault_injection.ts";
import { Channel } from "../../runtime/channel.ts";
import { type AnyChildSpec, Supervisor, type SupervisorEvent } from "../../runtime/supervisor.ts";

/** A source of `count` numbers and a sink that keeps them, one at a time or in batches. */
function pipeline(count: number, batch: number): { children: AnyChildSpec[]; seen: number[] } {
  const numbers = new Channel<number>(count);
  const seen: number[] = [];
  const children: AnyChildSpec[] = [
    {
      name: "sink",
      inbox: numbers,
      restart: "transient",
      actor: async (inbox) => {
        if (batch === 1) { for await (const n of inbox) seen.push(n as number); }
        else {
          while (true) seen.push(...(await inbox.receiveBatch(batch)) as number[]);
        }
      },
    },
    {
      name: "source",
      outbox: numbers,
      restart: "transient",
      actor: async (_inbox, outbox) => {
        for (let n = 1; n <= count; n++) await outbox.send(n);
      },
    },
  ];
  return { children, seen };
}

async function run(children: AnyChildSpec[]): Promise<SupervisorEvent[]> {
  const events: SupervisorEvent[] = [];
  const supervisor = new Supervisor(children, {
    backoffMinMs: 0,
    maxRestarts: 1_000,
    onEvent: (event) => events.push(event),
  });
  await supervisor.run();
  return events;
}

Deno.test("injectFaults() makes the actor throw on every n-th message and loses none", async () => {
  const { children, seen } = pipeline(20, 1);
  const events = await run(injectFaults(children, [{ actor: "sink", every: 5 }]));
  assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1));
  const crashes = events.filter((e) => e.type === "crash");
  // Messages 5, 9, 13, 17 (the redelivered one counts too): the n-th message received.
  assert.equal(crashes.length, 4);
  assert.ok(crashes.every((e) => e.child === "sink"));
  assert.match(String((crashes[0] as { error: unknown }).error), /Injected fault in sink/);
  assert.equal(events.filter((e) => e.type === "dead-letter").length, 0);
});

Deno.test("injectFaults() with every=1 crashes on each new message yet lets it through the second time", async () => {
  const { children, seen } = pipeline(6, 1);
  const events = await run(injectFaults(children, [{ actor: "sink", every: 1 }]));
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
  assert.equal(events.filter((e) => e.type === "crash").length, 6);
  assert.equal(events.filter((e) => e.type === "dead-letter").length, 0);
});

Deno.test("injectFaults() redelivers a whole batch taken when the actor throws", async () => {
  const { children, seen } = pipeline(40, 8);
  const events = await run(injectFaults(children, [{ actor: "sink", every: 7 }]));
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i + 1));
  assert.equal(new Set(seen).size, 40);
  assert.ok(events.filter((e) => e.type === "crash").length >= 3);
});

Deno.test("injectFaults() throws on a share of messages with the given random source", async () => {
  const { children, seen } = pipeline(10, 1);
  let n = 0;
  const events = await run(
    injectFaults(children, [{ actor: "sink", share: 0.5 }], { random: () => (n++ % 2) * 0.9 }),
  );
  assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => i + 1));
  assert.ok(events.filter((e) => e.type === "crash").length >= 3);
});

Deno.test("injectFaults() returns the very same children when nothing is injected", () => {
  const { children } = pipeline(1, 1);
  assert.equal(injectFaults(children, []), children);
  const wrapped = injectFaults(children, [{ actor: "source", every: 1 }]);
  assert.equal(wrapped[1], children[1], "an actor without an inbox is left alone");
});
