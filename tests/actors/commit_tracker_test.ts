import assert from "node:assert/strict";
import { committer, CommitTracker } from "../../actors/commit_tracker.ts";
import type { CommitOffset } from "../../kafka/transport.ts";
import { noInbox, noOutbox } from "../../runtime/actor.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { FakeCommits, rawRecord, settle, until } from "../support/consumer_records.ts";

const TOPIC = "crypto-prices";

/** Marks `partition:offset` handled. */
function mark(tracker: CommitTracker, partition: number, offset: number | string): void {
  tracker.markHandled(rawRecord(partition, offset, "BTC", "{}"));
}

/** A commit's offsets by partition, so the assertion does not depend on their order. */
const sorted = (offsets: readonly CommitOffset[] | undefined) =>
  [...(offsets ?? [])].sort((a, b) => a.partition - b.partition);

/** Runs the committer until `stop()` aborts it; `done` settles when the actor returns. */
function startCommitter(tracker: CommitTracker, transport: FakeCommits, clock: FakeClock) {
  const controller = new AbortController();
  const actor = committer({ tracker, transport, topic: TOPIC, clock, intervalMs: 1_000 });
  const done = actor(noInbox, noOutbox, {
    name: "committer",
    signal: controller.signal,
    attempt: 0,
  });
  return {
    done,
    stop: async () => {
      controller.abort(new DOMException("Actor stopped", "AbortError"));
      await done;
    },
  };
}

Deno.test("CommitTracker.position is null before any record and the next offset after one", () => {
  const tracker = new CommitTracker();
  assert.equal(tracker.position(0), null);
  mark(tracker, 0, 0);
  mark(tracker, 0, 1);
  mark(tracker, 2, 41);
  assert.equal(tracker.position(0), 2n);
  assert.equal(tracker.position(1), null);
  assert.equal(tracker.position(2), 42n);
  assert.equal(tracker.handled, 3);
});

Deno.test("CommitTracker.flush commits offset + 1 for each partition, once", async () => {
  const tracker = new CommitTracker();
  const transport = new FakeCommits();
  mark(tracker, 0, 0);
  mark(tracker, 0, 1);
  mark(tracker, 2, 5);

  assert.equal(await tracker.flush(transport, TOPIC), true);
  assert.equal(transport.committed.length, 1);
  assert.deepEqual(sorted(transport.committed[0]), [
    { partition: 0, offset: "2" },
    { partition: 2, offset: "6" },
  ]);

  assert.equal(await tracker.flush(transport, TOPIC), true);
  assert.equal(transport.attempts.length, 1, "nothing new: no second commit");

  mark(tracker, 2, 6);
  assert.equal(await tracker.flush(transport, TOPIC), true);
  assert.deepEqual(transport.committed[1], [{ partition: 2, offset: "7" }]);
});

Deno.test("CommitTracker.flush with nothing handled commits nothing", async () => {
  const transport = new FakeCommits();
  assert.equal(await new CommitTracker().flush(transport, TOPIC), true);
  assert.deepEqual(transport.attempts, []);
});

Deno.test("CommitTracker.flush keeps offsets pending when the commit fails and retries them next time", async () => {
  const tracker = new CommitTracker();
  const transport = new FakeCommits();
  mark(tracker, 0, 0);
  mark(tracker, 1, 3);
  transport.failNext = 1;

  assert.equal(await tracker.flush(transport, TOPIC), false);
  assert.deepEqual(transport.committed, []);

  mark(tracker, 0, 1);
  assert.equal(await tracker.flush(transport, TOPIC), true);
  assert.equal(transport.attempts.length, 2);
  assert.deepEqual(sorted(transport.committed[0]), [
    { partition: 0, offset: "2" },
    { partition: 1, offset: "4" },
  ]);
  assert.equal(await tracker.flush(transport, TOPIC), true);
  assert.equal(transport.attempts.length, 2);
});

Deno.test("CommitTracker.flush keeps a record handled during the commit pending for the next flush", async () => {
  const tracker = new CommitTracker();
  const committed: CommitOffset[][] = [];
  let release!: () => void;
  const transport = new FakeCommits();
  transport.commit = (_topic, offsets) => {
    committed.push([...offsets]);
    return committed.length === 1
      ? new Promise<void>((resolve) => (release = resolve))
      : Promise.resolve();
  };
  mark(tracker, 0, 0);
  const flushing = tracker.flush(transport, TOPIC);
  mark(tracker, 0, 1);
  release();
  assert.equal(await flushing, true);

  assert.equal(await tracker.flush(transport, TOPIC), true);
  assert.deepEqual(committed, [[{ partition: 0, offset: "1" }], [{ partition: 0, offset: "2" }]]);
});

Deno.test("CommitTracker.flush commits offsets beyond 2^53 exactly", async () => {
  const tracker = new CommitTracker();
  const transport = new FakeCommits();
  mark(tracker, 0, "9007199254740993");
  await tracker.flush(transport, TOPIC);
  assert.deepEqual(transport.committed, [[{ partition: 0, offset: "9007199254740994" }]]);
});

Deno.test("committer() commits every interval and once more when its signal aborts", async () => {
  const tracker = new CommitTracker();
  const transport = new FakeCommits();
  const clock = new FakeClock();
  mark(tracker, 0, 0);
  const run = startCommitter(tracker, transport, clock);

  await until(() => transport.committed.length === 1, "the first periodic commit");
  assert.deepEqual(transport.committed[0], [{ partition: 0, offset: "1" }]);

  mark(tracker, 1, 4);
  await until(() => transport.committed.length === 2, "the second periodic commit");
  assert.deepEqual(transport.committed[1], [{ partition: 1, offset: "5" }]);

  mark(tracker, 0, 1);
  mark(tracker, 2, 0);
  await run.stop();
  assert.equal(transport.committed.length, 3, "one final commit");
  assert.deepEqual(sorted(transport.committed[2]), [
    { partition: 0, offset: "2" },
    { partition: 2, offset: "1" },
  ]);
  assert.ok(clock.sleeps.length >= 2);
  assert.ok(clock.sleeps.every((ms) => ms === 1_000), String(clock.sleeps));
});

Deno.test("committer() makes no commit while nothing new was handled", async () => {
  const transport = new FakeCommits();
  const clock = new FakeClock();
  const run = startCommitter(new CommitTracker(), transport, clock);
  await until(() => clock.sleeps.length >= 5, "five intervals");
  await run.stop();
  assert.deepEqual(transport.attempts, []);
});

Deno.test("committer() retries a failed periodic commit at the next interval and goes on", async () => {
  const tracker = new CommitTracker();
  const transport = new FakeCommits();
  const clock = new FakeClock();
  transport.failNext = 2;
  mark(tracker, 0, 7);
  const run = startCommitter(tracker, transport, clock);

  await until(() => transport.committed.length === 1, "a commit that succeeds");
  assert.equal(transport.attempts.length, 3);
  assert.deepEqual(transport.committed[0], [{ partition: 0, offset: "8" }]);
  await settle();
  assert.equal(transport.attempts.length, 3, "committed once, then nothing more to commit");
  await run.stop();
});

Deno.test("committer() tries the final commit a second time when the first fails", async () => {
  const tracker = new CommitTracker();
  const transport = new FakeCommits();
  const clock = new FakeClock();
  const run = startCommitter(tracker, transport, clock);
  await until(() => clock.sleeps.length >= 1, "the first interval");
  mark(tracker, 1, 9);
  transport.failNext = 1;
  await run.stop();

  assert.equal(transport.attempts.length, 2);
  assert.deepEqual(transport.committed, [[{ partition: 1, offset: "10" }]]);
});

Deno.test("committer() returns without error when its signal aborts and the final commit fails", async () => {
  const tracker = new CommitTracker();
  const transport = new FakeCommits();
  const run = startCommitter(tracker, transport, new FakeClock());
  mark(tracker, 0, 0);
  transport.failNext = 2;
  await run.stop();
  assert.equal(transport.attempts.length, 2);
  assert.deepEqual(transport.committed, []);
});
