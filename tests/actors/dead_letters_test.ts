import assert from "node:assert/strict";
import { DeadLetterQueue } from "../../actors/dead_letters.ts";
import { MemoryLog } from "../../kafka/memory_log.ts";
import {
  DeliveryError,
  type OutRecord,
  type ProducerTransport,
  type TopicInfo,
} from "../../kafka/transport.ts";
import { type DeadLetter, decodeDeadLetter } from "../../market/messages/dead_letter_message.ts";
import { DeadLetterReport } from "../../report/dead_letter_report.ts";
import { captureLogs } from "../support/logs.ts";
import { waitFor } from "../support/wait.ts";

const letter = (offset: number, fields: Partial<DeadLetter> = {}): DeadLetter => ({
  topic: "crypto-prices",
  partition: 1,
  offset: String(offset),
  reason: `price_usd is 0, expected a finite positive number below 1e12 (${offset})`,
  at: Date.parse("2026-01-01T00:00:00Z") + offset,
  key: "BTC",
  value: '{"symbol":"BTC","price_usd":0}',
  headers: { schema: "crypto-price/v1" },
  ...fields,
});

/** A producer whose next sends fail as told, then pass to the embedded log. */
class FlakyProducer implements ProducerTransport {
  readonly log = new MemoryLog();
  readonly inner = this.log.producer();
  failures: DeliveryError[] = [];
  sends: OutRecord[][] = [];
  connect() {
    return Promise.resolve();
  }
  ensureTopic(spec: { topic: string; partitions: number; replicationFactor: number }) {
    return this.inner.ensureTopic(spec) as Promise<TopicInfo>;
  }
  send(topic: string, records: readonly OutRecord[]) {
    this.sends.push([...records]);
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    return this.inner.send(topic, records);
  }
  disconnect() {
    return Promise.resolve();
  }
}

async function queue(failures: DeliveryError[] = []) {
  const transport = new FlakyProducer();
  await transport.ensureTopic({ topic: "crypto-dlq", partitions: 3, replicationFactor: 1 });
  transport.failures = failures;
  const report = new DeadLetterReport();
  let now = 0;
  const dlq = new DeadLetterQueue({
    transport,
    topic: "crypto-dlq",
    partitions: 3,
    report,
    now: () => now,
    retryMinMs: 1,
    retryMaxMs: 2,
  });
  return { transport, report, dlq, tick: (ms: number) => (now += ms) };
}

/** Every dead letter on the embedded log's dead-letter topic. */
async function written(transport: FlakyProducer): Promise<DeadLetter[]> {
  const group = `reader-${Math.random()}`;
  const consumer = transport.log.consumer(group);
  const letters: DeadLetter[] = [];
  let read = 0;
  await consumer.consume({
    topic: "crypto-dlq",
    fromBeginning: true,
    handle: (record) => {
      read++;
      const decoded = decodeDeadLetter(record.key, record.value, record.headers);
      if (decoded.ok) letters.push(decoded.message);
      return Promise.resolve();
    },
  });
  // Every record the topic holds.
  const held = transport.log.lag(group, "crypto-dlq")
    .reduce((sum, p) => sum + Number(p.end) - Number(p.start), 0);
  await waitFor(() => read >= held, { message: `the ${held} dead letters to be read` });
  await consumer.disconnect();
  return letters.sort((a, b) => Number(a.offset) - Number(b.offset));
}

Deno.test("DeadLetterQueue writes each refused record with its dlq headers, and counts it once acknowledged", async () => {
  const { transport, report, dlq } = await queue();
  const letters = [
    letter(5),
    letter(6, { key: "ETH" }),
    letter(7),
    letter(8, { key: null, value: null }),
  ];
  await dlq.send(letters, "door", new AbortController().signal);
  assert.deepEqual(await written(transport), letters);
  assert.equal(report.written, 4);
  assert.equal(report.refusedAtDoor, 4);
  assert.deepEqual(report.latest.map((l) => l.offset), ["5", "6", "7", "8"]);
  // Keyed as the refused record: one market's dead letters share a partition, in order.
  const sent = transport.sends.flat();
  assert.equal(sent[0]!.partition, sent[2]!.partition);
});

Deno.test("DeadLetterQueue retries while the log is away and resolves only once it has the letters", async () => {
  const away = new DeliveryError("broker away", { retriable: true });
  const { transport, report, dlq } = await queue([away, away, away]);
  await dlq.send([letter(1)], "store", new AbortController().signal);
  assert.equal(transport.sends.length, 4);
  assert.equal(report.sendErrors, 3);
  assert.equal(report.refusedByStore, 1);
  assert.equal((await written(transport)).length, 1);
});

Deno.test("DeadLetterQueue gives up when told to, and then counts nothing as written", async () => {
  const { transport, report, dlq } = await queue(
    Array.from({ length: 100 }, () => new DeliveryError("broker away", { retriable: true })),
  );
  const stop = new AbortController();
  const sending = dlq.send([letter(1)], "door", stop.signal);
  await waitFor(() => transport.sends.length >= 2, { message: "a send and its retry" });
  stop.abort(new Error("stopping"));
  await assert.rejects(sending, /stopping/);
  assert.equal(report.written, 0);
  assert.ok(transport.sends.length >= 1);
});

Deno.test("DeadLetterQueue: a letter the log refuses for good goes again alone, then without its value", async () => {
  const tooLarge = () => new DeliveryError("MESSAGE_TOO_LARGE", { retriable: false });
  const { transport, report, dlq } = await queue([tooLarge(), tooLarge()]);
  const letters = [letter(1, { value: "x".repeat(5_000) }), letter(2)];
  await dlq.send(letters, "door", new AbortController().signal);
  // The batch, then each alone (the first refused again), then the first without its value.
  assert.deepEqual(transport.sends.map((s) => s.length), [2, 1, 1, 1]);
  const [first, second] = await written(transport);
  assert.equal(first!.value, "");
  assert.match(first!.headers["dlq.value-dropped"] ?? "", /^5000 bytes: MESSAGE_TOO_LARGE/);
  assert.equal(second!.value, letters[1]!.value);
  assert.equal(report.lost, 0);
});

Deno.test("DeadLetterQueue logs at most once a second, with the count since the last line", async () => {
  const { dlq, tick } = await queue();
  const signal = new AbortController().signal;
  const lines = await captureLogs(async () => {
    await dlq.send([letter(1)], "door", signal);
    for (let i = 2; i <= 10; i++) {
      tick(100);
      await dlq.send([letter(i)], "door", signal);
    }
    tick(100);
    await dlq.send([letter(11), letter(12)], "door", signal);
    tick(100);
    await dlq.send([letter(13)], "door", signal);
    dlq.flushLog();
  });
  const counts = lines.filter((l) => l.text.startsWith("Dead-lettered")).map((l) =>
    Number(/Dead-lettered (\d+)/.exec(l.text)![1])
  );
  // At 0 ms the first; at 1,000 ms the eleven since; at stop the one left.
  assert.deepEqual(counts, [1, 11, 1]);
  assert.ok(lines.every((l) => !l.text.includes("\n")));
});
