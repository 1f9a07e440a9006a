/**
 * Would a Worker take the consumer's per-message work off kafkajs's thread? A stripped-down
 * contender, alternated with the real pipeline and plain kafkajs on one prefilled topic: kafkajs
 * `eachBatch` on the main thread packs each batch's offsets, keys and values into one
 * ArrayBuffer and transfers it (at most 4 batches in flight) to a Worker that checks, formats and
 * writes them (`bench/worker_probe_worker.ts`). No supervision, no commits, `--format json`
 * only: the best such a design could do.
 * `deno run -A bench/worker_probe.ts [--brokers host:port] [--messages N] [--runs R] [--noop]`
 * (`--noop`: the Worker only acknowledges, so only the main thread's side is measured).
 * Bench code only; the product never imports it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { KafkaMessage } from "kafkajs";
import { type BenchOptions, plainKafka, unique } from "./common.ts";
import { consumeKafkajs, consumePipeline } from "./consume.ts";
import { plainRecords } from "./data.ts";
import { produceKafkajs } from "./produce.ts";
import type { PackedBatch } from "./worker_probe_worker.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    brokers: { type: "string", default: "127.0.0.1:9092" },
    messages: { type: "string", default: "200000" },
    runs: { type: "string", default: "5" },
    noop: { type: "boolean", default: false },
  },
});
const messages = Number(values.messages);
const opts: BenchOptions = {
  quick: true,
  brokers: values.brokers!,
  kafkaLibs: "",
  messages,
  repetitions: 1,
  latencySeconds: 1,
  tmp: "/tmp",
};
const IN_FLIGHT = 4;

/** Offsets, key and value lengths, then the bytes, in one transferable buffer. */
function pack(batch: KafkaMessage[]): ArrayBuffer {
  const count = batch.length;
  let size = 0;
  for (const m of batch) size += (m.key?.length ?? 0) + (m.value?.length ?? 0);
  const buffer = new ArrayBuffer(count * 16 + size);
  const offsets = new Float64Array(buffer, 0, count);
  const lengths = new Int32Array(buffer, count * 8, count * 2);
  const bytes = new Uint8Array(buffer, count * 16);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const m = batch[i]!;
    offsets[i] = Number(m.offset);
    lengths[2 * i] = m.key ? m.key.length : -1;
    if (m.key) (bytes.set(m.key, at), at += m.key.length);
    lengths[2 * i + 1] = m.value ? m.value.length : -1;
    if (m.value) (bytes.set(m.value, at), at += m.value.length);
  }
  return buffer;
}

async function consumeWorker(topic: string, want: number): Promise<{ rate: number; busy: number }> {
  const worker = new Worker(new URL("./worker_probe_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const consumer = plainKafka(opts).consumer({ groupId: unique("bench-worker") });
  let first = 0;
  let last = 0;
  let handled = 0;
  let inFlight = 0;
  let busyMs = 0;
  let room: (() => void) | null = null;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  worker.onmessage = (event: MessageEvent<{ count: number; busyMs: number }>) => {
    handled += event.data.count;
    busyMs = event.data.busyMs;
    inFlight--;
    last = performance.now();
    room?.();
    room = null;
    if (handled >= want) done();
  };
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (batch.messages.length === 0) return;
      if (first === 0) first = performance.now();
      const buffer = pack(batch.messages);
      while (inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => (room = resolve));
      inFlight++;
      const message: PackedBatch = {
        buffer,
        partition: batch.partition,
        count: batch.messages.length,
        noop: values.noop === true,
      };
      worker.postMessage(message, [buffer]);
    },
  });
  await finished;
  await consumer.disconnect();
  worker.terminate();
  return { rate: want / ((last - first) / 1000), busy: busyMs / (last - first) };
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const { topic } = await produceKafkajs(opts, {
  records: plainRecords(messages),
  batch: 500,
  gzip: false,
});
await consumePipeline(opts, { topic, messages: 10_000 });
await consumeKafkajs(opts, { topic, messages: 10_000 });
await consumeWorker(topic, 10_000);
const ratios = { pipeline: [] as number[], worker: [] as number[] };
for (let r = 0; r < Number(values.runs); r++) {
  const p = await consumePipeline(opts, { topic, messages });
  const k = await consumeKafkajs(opts, { topic, messages });
  const w = await consumeWorker(topic, messages);
  ratios.pipeline.push(p.rate / k.rate);
  ratios.worker.push(w.rate / k.rate);
  console.log(
    `pipeline ${p.rate.toFixed(0)}/s, kafkajs ${k.rate.toFixed(0)}/s, worker ${
      w.rate.toFixed(0)
    }/s (worker busy ${(w.busy * 100).toFixed(0)}%): pipeline/kafkajs ${
      (p.rate / k.rate).toFixed(2)
    }, worker/kafkajs ${(w.rate / k.rate).toFixed(2)}`,
  );
}
console.log(
  `medians: pipeline/kafkajs ${median(ratios.pipeline).toFixed(2)}, worker/kafkajs ${
    median(ratios.worker).toFixed(2)
  }`,
);
Deno.exit(0);
