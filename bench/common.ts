/**
 * What every measurement shares: options, the broker, fresh topics, statistics, resident
 * memory and versions. Bench code only; the product never imports it.
 *
 * @module
 */
import "../tests/support/kafkajs_warnings.ts";
import { Kafka, logLevel } from "kafkajs";
import { loadConsumerConfig } from "../config/consume.ts";
import { loadProducerConfig } from "../config/produce.ts";
import type { ConsumerConfig, ProducerConfig } from "../config/types.ts";

/** The options of one bench run. */
export interface BenchOptions {
  /** A short run (about a minute). */
  quick: boolean;
  /** Bootstrap servers, `host:port`. */
  brokers: string;
  /** The Kafka jars (for ProducerPerformance and the version). */
  kafkaLibs: string;
  /** Messages per throughput measurement. */
  messages: number;
  /** Repetitions of each throughput measurement (the median is reported). */
  repetitions: number;
  /** Seconds of each latency measurement, per rate. */
  latencySeconds: number;
  /** Scratch folder. */
  tmp: string;
}

/** A unique suffix for topic and group names. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** The environment lookup the product's config loaders get: nothing from the bench's env. */
export const noEnv = (_name: string): string | undefined => undefined;

/** The product's producer configuration for a bench topic. */
export function producerConfig(opts: BenchOptions, topic: string, extra: string[]): ProducerConfig {
  return loadProducerConfig(["--brokers", opts.brokers, "--topic", topic, ...extra], noEnv)!;
}

/** The product's consumer configuration for a bench topic. */
export function consumerConfig(opts: BenchOptions, topic: string, extra: string[]): ConsumerConfig {
  return loadConsumerConfig(["--brokers", opts.brokers, "--topic", topic, ...extra], noEnv)!;
}

/** A plain kafkajs client, quiet. */
export function plainKafka(opts: BenchOptions, clientId = "bench"): Kafka {
  return new Kafka({ brokers: opts.brokers.split(","), clientId, logLevel: logLevel.NOTHING });
}

/** Creates a fresh topic with 3 partitions and waits for its leaders. */
export async function freshTopic(opts: BenchOptions, prefix: string): Promise<string> {
  const topic = unique(prefix);
  const admin = plainKafka(opts).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
    });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** Deletes bench topics (best effort), so repeated runs do not fill the broker's disk. */
export async function deleteTopics(opts: BenchOptions, topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = plainKafka(opts).admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics, timeout: 30_000 });
  } catch {
    // best effort
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** The median of some numbers, or null when there are none. */
export function median(values: readonly number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** The nearest-rank percentile `p` (0-100) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** Rounds for the report. */
export function round(value: number | null, digits = 0): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * A process's resident memory in MB, from `ps` (Deno wants --allow-all to read /proc), or null
 * once it is gone.
 */
export async function rssMb(pid: number): Promise<number | null> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  const kb = Number(new TextDecoder().decode(out.stdout).trim());
  return out.success && kb > 0 ? kb / 1024 : null;
}

/** Whether a program can be run (`which`-like, by running it with a harmless flag). */
export async function runs(program: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" })
      .output();
    return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  } catch {
    return null;
  }
}

/** Prints a progress line to stderr. */
export function say(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`[bench] ${line}\n`));
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
