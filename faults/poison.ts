/**
 * Scenario 5: poison on the topic. A seeded fuzz run writes valid prices among random,
 * truncated, oversized (≥ 1 MB) and schema-breaking values and keys straight to a topic with a
 * plain kafkajs producer; the real `consume` must print every valid one exactly once, report
 * every bad one in one short line naming its partition and offset, and never crash.
 *
 * `FAULTS_SEED=<n>` replays a run: the seed is printed and kept in the report.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { occurrences, type RunningCommand, sleep, spawn } from "./command.ts";
import {
  check,
  restartsOf,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from "./scenario.ts";
import { consumedIds, plainKafka, unique } from "./topic.ts";

/** Partitions of the fuzz topic. */
const PARTITIONS = 3;
/** The fuzz topic's `max.message.bytes`, so that values of a megabyte and more are accepted. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Size of the oversized values. */
const MEGABYTE = 1024 * 1024;
/** A report line longer than this dumps the message rather than describing it. */
const REPORT_LINE_LIMIT = 1_000;

/** One record written to the fuzz topic. */
interface FuzzRecord {
  /** What kind of record it is (for the notes). */
  kind: string;
  /** Whether it matches the message contract and must be printed. */
  valid: boolean;
  /** The key bytes, or null. */
  key: Buffer | null;
  /** The value bytes, or null (a tombstone). */
  value: Buffer | null;
  /** `message_id` of a valid one. */
  messageId: string | null;
  /** The partition. */
  partition: number;
  /** Its offset, once written. */
  offset: number;
}

/**
 * A small seeded PRNG (mulberry32): the same seed writes the same topic.
 *
 * @param seed The seed.
 * @returns Numbers in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Fuzz {
  #random: () => number;
  constructor(seed: number) {
    this.#random = seededRandom(seed);
  }
  int(n: number): number {
    return Math.floor(this.#random() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.#random() < p;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

const SYMBOLS = ["BTC", "ETH", "SOL", "DOGE", "XRP", "ADA", "1INCH"];
/** Symbols a record may not carry: a symbol is 1-15 of A-Z and 0-9 (docs/messages.md). */
const BAD_SYMBOLS = ["ÄBC", "币", "btc", "<img src=x>", "BT\nC", "X".repeat(2_000)];

/** A price that matches the contract, with some of its legal variations. */
function validPrice(fuzz: Fuzz, messageId: string): Record<string, unknown> {
  const symbol = fuzz.pick(SYMBOLS);
  const price = fuzz.pick([45_234.56, 3_199.51, 0.000012345, 1e-9, 1, 99_999_999.99]);
  const orNull = (value: number) => (fuzz.chance(0.2) ? null : value);
  return {
    symbol,
    coin_id: symbol.toLowerCase(),
    price_usd: price * (1 + fuzz.int(1000) / 10_000),
    volume_24h: orNull(28_456_789_012.34),
    market_cap: orNull(886_543_210_987.65),
    price_change_24h: orNull(fuzz.int(2000) / 100 - 10),
    last_updated: orNull(1_699_876_543 + fuzz.int(100_000)),
    timestamp: new Date(1_762_943_445_123 + fuzz.int(1e9)).toISOString(),
    producer_id: "deno-producer-v1",
    message_id: messageId,
  };
}

const utf8 = (text: string) => Buffer.from(text, "utf8");

/** Changes that each break the contract (docs/messages.md) of an otherwise valid price. */
const SCHEMA_BREAKS: [string, (p: Record<string, unknown>, fuzz: Fuzz) => unknown][] = [
  ["missing field", (p, fuzz) => (delete p[fuzz.pick(Object.keys(p))], p)],
  ["no message_id", (p) => (delete p.message_id, p)],
  ["price as text", (p) => ({ ...p, price_usd: String(p.price_usd) })],
  ["price zero", (p) => ({ ...p, price_usd: 0 })],
  ["price negative", (p) => ({ ...p, price_usd: -1 })],
  ["price null", (p) => ({ ...p, price_usd: null })],
  ["volume as text", (p) => ({ ...p, volume_24h: "lots" })],
  ["empty symbol", (p) => ({ ...p, symbol: "" })],
  ["symbol not A-Z 0-9", (p, fuzz) => ({ ...p, symbol: fuzz.pick(BAD_SYMBOLS) })],
  ["price 1e12 or more", (p) => ({ ...p, price_usd: 1e200 })],
  ["last_updated in milliseconds", (p) => ({ ...p, last_updated: 1_700_000_000_000 })],
  ["last_updated in 2100", (p) => ({ ...p, last_updated: 4_102_444_800 })],
  ["symbol a number", (p) => ({ ...p, symbol: 42 })],
  ["timestamp not a time", (p) => ({ ...p, timestamp: "yesterday" })],
  ["nested object price", (p) => ({ ...p, price_usd: { value: 1 } })],
  ["array", (p) => [p]],
  ["number", () => 42],
  ["string", (p) => JSON.stringify(p)],
  ["null", () => null],
  ["deeply nested", () => JSON.parse("[".repeat(5_000) + "]".repeat(5_000))],
];

/**
 * Makes the fuzz records: about a third valid, the rest of every bad kind, in a seeded order.
 *
 * @param seed The seed.
 * @param total How many.
 * @param oversized How many values of a megabyte and more among them.
 * @returns The records, partitions chosen, offsets not yet known.
 */
export function fuzzRecords(seed: number, total: number, oversized: number): FuzzRecord[] {
  const fuzz = new Fuzz(seed);
  const records: FuzzRecord[] = [];
  // Spread the oversized ones over the run.
  const bigAt = new Set(
    Array.from({ length: oversized }, (_, i) => Math.floor(((i + 0.5) * total) / oversized)),
  );
  let bigKind = 0;
  for (let i = 0; i < total; i++) {
    const messageId = `FUZZ-${seed}-${i}`;
    const price = validPrice(fuzz, messageId);
    const key = utf8(String(price.symbol));
    const partition = fuzz.int(PARTITIONS);
    const add = (kind: string, valid: boolean, k: Buffer | null, v: Buffer | null) =>
      records.push({
        kind,
        valid,
        key: k,
        value: v,
        messageId: valid ? messageId : null,
        partition,
        offset: -1,
      });
    if (bigAt.has(i)) {
      const padding = "x".repeat(MEGABYTE + fuzz.int(1024));
      const kind = bigKind++ % 3;
      if (kind === 0) add("oversized: ≥ 1 MB of text", false, key, utf8(padding));
      else if (kind === 1) {
        add(
          "oversized: price a 1 MB string",
          false,
          key,
          utf8(JSON.stringify({ ...price, price_usd: padding })),
        );
      } else {
        add(
          "oversized: symbol and key of 1 MB",
          false,
          utf8(padding),
          utf8(JSON.stringify({ ...price, symbol: padding.slice(1) })),
        );
      }
      continue;
    }
    const roll = fuzz.int(100);
    if (roll < 35) {
      add("valid", true, key, utf8(JSON.stringify(price)));
    } else if (roll < 45) {
      add("random bytes", false, key, fuzz.bytes(fuzz.int(300)));
    } else if (roll < 55) {
      const text = JSON.stringify(price);
      add("truncated", false, key, utf8(text.slice(0, 1 + fuzz.int(text.length - 1))));
    } else if (roll < 75) {
      const [kind, change] = fuzz.pick(SCHEMA_BREAKS);
      add(
        `schema: ${kind}`,
        false,
        key,
        utf8(JSON.stringify(change(structuredClone(price), fuzz))),
      );
    } else if (roll < 80) {
      add("key: random bytes", false, fuzz.bytes(1 + fuzz.int(40)), utf8(JSON.stringify(price)));
    } else if (roll < 84) {
      add("key: empty", false, Buffer.alloc(0), utf8(JSON.stringify(price)));
    } else if (roll < 87) {
      add("key: none", false, null, utf8(JSON.stringify(price)));
    } else if (roll < 90) {
      const huge = `${price.symbol}${"K".repeat(50_000 + fuzz.int(50_000))}`;
      add("key: huge", false, utf8(huge), utf8(JSON.stringify(price)));
    } else if (roll < 93) {
      // The symbol's bytes with one that is not UTF-8 in the middle.
      const bad = Buffer.concat([key.subarray(0, 1), Buffer.from([0xff]), key.subarray(1)]);
      add("key: not UTF-8", false, bad, utf8(JSON.stringify(price)));
    } else if (roll < 96) {
      // Valid JSON but for one byte that is not UTF-8 inside a string.
      // (DEL, 0x7f, is left as it is by JSON.stringify: its byte becomes 0xfe.)
      const bytes = utf8(JSON.stringify({ ...price, coin_id: "coin\u007f" }));
      bytes[bytes.indexOf(0x7f)] = 0xfe;
      add("value: not UTF-8", false, key, bytes);
    } else if (roll < 98) {
      add("value: empty", false, key, Buffer.alloc(0));
    } else {
      add("value: none (tombstone)", false, key, null);
    }
  }
  return records;
}

/**
 * Creates the fuzz topic with a larger `max.message.bytes` and writes the records, each
 * partition's in order; fills in their offsets.
 *
 * @param brokers Bootstrap servers.
 * @param topic The topic.
 * @param records The records.
 */
async function writeTopic(brokers: string, topic: string, records: FuzzRecord[]): Promise<void> {
  const kafka = plainKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{
        topic,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
        configEntries: [{ name: "max.message.bytes", value: String(MAX_MESSAGE_BYTES) }],
      }],
    });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const mine = records.filter((r) => r.partition === partition);
      let at = 0;
      while (at < mine.length) {
        // Batches of up to 2 MB: a megabyte value goes alone.
        const batch: FuzzRecord[] = [];
        let bytes = 0;
        while (at < mine.length) {
          const next = mine[at]!;
          const size = (next.key?.length ?? 0) + (next.value?.length ?? 0);
          if (batch.length > 0 && (bytes + size > 2 * MEGABYTE || batch.length >= 500)) break;
          batch.push(next);
          bytes += size;
          at++;
        }
        const [meta] = await producer.send({
          topic,
          acks: -1,
          messages: batch.map((r) => ({ partition, key: r.key, value: r.value })),
        });
        const base = Number(meta?.baseOffset);
        if (!Number.isInteger(base)) throw new Error(`No offset for partition ${partition}`);
        batch.forEach((r, i) => (r.offset = base + i));
      }
    }
  } finally {
    await producer.disconnect();
  }
}

/** `partition/offset` of the bad messages a consumer reported, with each report line. */
function reported(stderr: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of stderr.split("\n")) {
    const match = /Skipped bad message at partition (\d+) offset (\d+)/.exec(line);
    if (!match) continue;
    const slot = `${match[1]}/${match[2]}`;
    found.set(slot, [...(found.get(slot) ?? []), line]);
  }
  return found;
}

/** The `Bad messages skipped: n` of a consumer's summary, or null. */
function summaryBad(output: string): number | null {
  const match = /^Bad messages skipped: (\d+)$/m.exec(output);
  return match ? Number(match[1]) : null;
}

function consume(ctx: ScenarioContext, topic: string, json: boolean): RunningCommand {
  return spawn("consume", {
    args: [
      ...(json ? ["--format", "json"] : []),
      "--group",
      unique(json ? "faults-poison-json" : "faults-poison-text"),
      "--from-beginning",
      "--topic",
      topic,
      "--brokers",
      ctx.broker.brokers,
    ],
  });
}

/** Messages a `consume` in the default (pretty) format printed. */
const prettyPrinted = (stdout: string) => occurrences(stdout, "\nMessage #");

/** The poison-on-the-topic scenario. */
export const poison: Scenario = {
  id: "5",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const seedText = Deno.env.get("FAULTS_SEED");
    const seed = seedText !== undefined && /^\d+$/.test(seedText.trim())
      ? Number(seedText.trim()) >>> 0
      : Math.floor(Math.random() * 2 ** 32);
    const total = ctx.quick ? 300 : 4_000;
    const oversizedCount = ctx.quick ? 2 : 6;
    ctx.log(`  seed ${seed} (replay with FAULTS_SEED=${seed}): ${total} messages`);
    const records = fuzzRecords(seed, total, oversizedCount);
    const topic = unique("faults-poison");
    await writeTopic(ctx.broker.brokers, topic, records);
    const valid = records.filter((r) => r.valid);
    const bad = records.filter((r) => !r.valid);
    const badSlots = new Set(bad.map((r) => `${r.partition}/${r.offset}`));
    const oversized = bad.filter((r) => (r.value?.length ?? 0) >= MEGABYTE);
    ctx.log(`  wrote ${valid.length} valid and ${bad.length} bad messages to ${topic}`);

    const json = consume(ctx, topic, true);
    const text = consume(ctx, topic, false);
    try {
      const done = (c: RunningCommand, printed: (out: string) => number) =>
        printed(c.stdout) >= valid.length && reported(c.stderr).size >= bad.length;
      // Until both have handled everything, or neither has moved on for a while.
      const progress = () =>
        consumedIds(json.stdout).length + reported(json.stderr).size +
        prettyPrinted(text.stdout) + reported(text.stderr).size;
      const deadline = Date.now() + (ctx.quick ? 120_000 : 300_000);
      let last = -1;
      let movedAt = Date.now();
      while (
        Date.now() < deadline && Date.now() - movedAt < 30_000 &&
        !(done(json, (o) => consumedIds(o).length) && done(text, prettyPrinted)) &&
        (json.ended === null || text.ended === null)
      ) {
        await sleep(250);
        const now = progress();
        if (now !== last) [last, movedAt] = [now, Date.now()];
      }
      const aliveJson = json.ended === null;
      const aliveText = text.ended === null;
      // Anything late (a duplicate) would show now.
      await sleep(2_000);
      const [jsonEnded, textEnded] = await Promise.all([json.stop(), text.stop()]);

      const printed = consumedIds(json.stdout);
      const counts = new Map<string, number>();
      for (const id of printed) counts.set(id, (counts.get(id) ?? 0) + 1);
      const validIds = new Set(valid.map((r) => r.messageId!));
      const missing = [...validIds].filter((id) => !counts.has(id));
      const duplicated = [...counts.values()].filter((n) => n > 1).length;
      const strangers = printed.filter((id) => !validIds.has(id)).length;
      const printedBad = json.stdout.split("\n").filter((line) => {
        if (!line.startsWith("{")) return false;
        try {
          const { partition, offset } = JSON.parse(line);
          return badSlots.has(`${partition}/${offset}`);
        } catch {
          return true;
        }
      }).length;
      const reports = reported(json.stderr);
      const unreported = bad.filter((r) => !reports.has(`${r.partition}/${r.offset}`));
      const reportedTwice = [...reports.values()].filter((lines) => lines.length > 1).length;
      const wronglyReported = [...reports.keys()].filter((slot) => !badSlots.has(slot)).length;
      const longest = Math.max(0, ...json.stderr.split("\n").map((l) => l.length));
      const bigReports = oversized.map((r) => reports.get(`${r.partition}/${r.offset}`)?.[0]);
      const textReports = reported(text.stderr);
      const textPrinted = prettyPrinted(text.stdout);
      const textLongest = Math.max(0, ...text.stderr.split("\n").map((l) => l.length));
      const restarts = restartsOf(json) + restartsOf(text);
      const lost = missing.length + unreported.length;
      const kinds = new Map<string, number>();
      for (const r of bad) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);

      const checks = [
        check(
          "no consumer crash: both ran until stopped, then exit 0",
          aliveJson && aliveText && jsonEnded.code === 0 && textEnded.code === 0,
          `--format json: ${aliveJson ? "ran" : "ended early"}, exit ${jsonEnded.code}; text: ${
            aliveText ? "ran" : "ended early"
          }, exit ${textEnded.code}`,
        ),
        check("no supervisor restart", restarts === 0, `${restarts} restarts logged`),
        check(
          "every valid message printed exactly once (by message_id)",
          missing.length === 0 && duplicated === 0 && strangers === 0,
          `${
            validIds.size - missing.length
          } of ${validIds.size} printed, ${duplicated} twice, ${strangers} unknown ids${
            missing.length ? `; first missing ${missing.slice(0, 3).join(", ")}` : ""
          }`,
        ),
        check(
          "nothing printed for a bad message",
          printedBad === 0,
          `${printedBad} stdout lines at a bad message's partition/offset`,
        ),
        check(
          "every bad message reported once, naming its partition and offset",
          unreported.length === 0 && reportedTwice === 0 && wronglyReported === 0,
          `${
            bad.length - unreported.length
          } of ${bad.length} reported, ${reportedTwice} twice, ${wronglyReported} valid ones reported${
            unreported.length
              ? `; first unreported: ${
                unreported.slice(0, 3).map((r) => `${r.kind} at ${r.partition}/${r.offset}`).join(
                  ", ",
                )
              }`
              : ""
          }`,
        ),
        check(
          "the summary counts the bad messages",
          summaryBad(json.stderr) === bad.length && summaryBad(text.stdout) === bad.length,
          `Bad messages skipped: ${summaryBad(json.stderr)} (json), ${
            summaryBad(text.stdout)
          } (text), ${bad.length} written`,
        ),
        check(
          `a ≥ 1 MB value is reported in one short line (≤ ${REPORT_LINE_LIMIT} characters; every stderr line too)`,
          bigReports.every((line) => line !== undefined && line.length <= REPORT_LINE_LIMIT) &&
            longest <= REPORT_LINE_LIMIT && textLongest <= REPORT_LINE_LIMIT,
          `${oversized.length} oversized values; their report lines ${
            bigReports.map((l) => l?.length ?? "missing").join(", ")
          } characters; longest stderr line ${longest} (json), ${textLongest} (text)`,
        ),
        check(
          "the default text output: every valid one printed, every bad one reported",
          textPrinted === valid.length && textReports.size === bad.length &&
            [...textReports.keys()].every((slot) => badSlots.has(slot)),
          `${textPrinted} printed of ${valid.length}, ${textReports.size} reported of ${bad.length}`,
        ),
      ];
      const mb = (MAX_MESSAGE_BYTES / MEGABYTE).toFixed(0);
      return {
        id: "5",
        title: "Poison on the topic",
        injected:
          `${total} fuzzed records (seed ${seed}): ${valid.length} valid, ${bad.length} bad, ${oversized.length} of them ≥ 1 MB`,
        expected:
          "no crash, no restart; every valid one printed once; every bad one reported once with partition and offset, briefly; exit 0",
        measured: {
          fetched: records.length,
          delivered: validIds.size - missing.length,
          lost,
          duplicated,
          dropped: 0,
          restarts,
          exitCode: jsonEnded.code,
        },
        checks,
        notes: [
          `seed ${seed}: replay with \`FAULTS_SEED=${seed}\``,
          `bad kinds: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}`,
        ],
        explanation:
          `poison on the topic: a seeded fuzz (the seed is printed; \`FAULTS_SEED\` replays it) writes valid prices among random bytes, truncated JSON, values of a megabyte and more, schema-breaking values (missing fields, wrong types, zero or negative prices, arrays, deep nesting, tombstones, values that are not UTF-8) and bad keys (random bytes, empty, none, 100 kB, not UTF-8) with a plain kafkajs producer, to a ${PARTITIONS}-partition topic created with \`max.message.bytes\` = ${mb} MB. The real \`consume --format json --from-beginning\` and, beside it in another group, the default text output read it until everything is handled, then get SIGTERM. *fetched* is the records written, *delivered* the valid ones printed (by \`message_id\`), *lost* = valid ones not printed + bad ones not reported (a \`Skipped bad message at partition P offset O\` line), *duplicated* valid ones printed twice; *dropped* does not apply (0); *restarts* and *exit* are the consumers'.`,
      };
    } finally {
      await Promise.all([json, text].filter((c) => c.ended === null).map((c) => c.stop()));
    }
  },
};
