/**
 * `deno task bench [--quick] [--brokers host:port] [--only produce,consume,latency,footprint,memory,http,candles,trades,repair,restart,replay,scale] [--baseline <git-ref>]`:
 * measures the pipeline against plain `@platformatic/kafka`, plain kafkajs, kcat and Kafka's own
 * Java tools on a running broker; the HTTP side (`http`: the API against a bare `Deno.serve` with
 * wrk, the API with its cache off against a bare server running the store's query, the live
 * stream's fan-out, the dashboard in Chromium; no broker needed); the candles (`candles`: over
 * prices and over trades against plain consume, with `--baseline` the same rows by
 * `bin/candles.ts` of another git ref and of this checkout side by side; the store's upserts
 * against `COPY` and a bare SQLite loop; close to readable); `start --source replay:FILE` with
 * candles against `--no-candles` (`replay`, no broker needed); `bin/candles.ts` over 1,000
 * markets against 10, with its resident memory (`scale`); and writes `bench/results.json` and
 * `bench/RESULTS.md`.
 *
 * Every section of `results.json` carries the time and the mode of the run that wrote it: `full`,
 * `quick` (`--quick`) or `custom` (sizes set by `--messages` or `--repetitions`). A
 * run with `--only` replaces its sections and keeps the others; the top-level `mode` is `full`
 * only when every section is.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { addBaseline, candlesTaskFlags, currentCheckout, shortSha } from "./baseline.ts";
import {
  candlePrices,
  candleRow,
  candleTrades,
  closeLatency,
  upsertsAgainstCopy,
  withDatabase,
} from "./candles.ts";
import { type BenchOptions, deleteTopics, median, round, runs, say } from "./common.ts";
import {
  consumeJava,
  consumeKafkajs,
  consumeKcat,
  consumePipeline,
  consumePlatformatic,
} from "./consume.ts";
import { plainRecords, writeRecording, writeRecordsFile } from "./data.ts";
import { footprint } from "./footprint.ts";
import { apiThroughput, dashboardLoad, sseFanOut } from "./http.ts";
import { latencyKafkajs, latencyPipeline, latencyPlatformatic } from "./latency.ts";
import { memoryThroughput } from "./memory.ts";
import {
  produceJava,
  produceKafkajs,
  produceKcat,
  producePipeline,
  producePlatformatic,
} from "./produce.ts";
import { writeReport } from "./report.ts";
import { tradesFigures } from "./trades.ts";
import { repairFigures } from "./repair.ts";
import { restartFigures } from "./restart.ts";
import { replayCandles } from "./replay_candles.ts";
import { candlesScale } from "./candles_scale.ts";
import { fileMode, merged, SECTION_KEYS } from "./results_file.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    brokers: { type: "string" },
    only: { type: "string" },
    batch: { type: "string" },
    messages: { type: "string" },
    repetitions: { type: "string" },
    baseline: { type: "string" },
    "report-only": { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log(
    "Usage: deno task bench [--quick] [--brokers host:port] [--only produce,consume,latency,footprint,memory,http,candles,trades,repair,restart,replay,scale] [--batch N] [--messages N] [--repetitions N] [--baseline <git-ref>]\n" +
      "Needs a running broker (deno task kafka:up); writes bench/results.json and bench/RESULTS.md.\n" +
      "Sections: http, the API against bare Deno.serve servers (wrk; no broker needed); candles,\n" +
      "candles over prices and trades against plain consume, the store's upserts, close latency;\n" +
      "replay, start --source replay:FILE with candles against --no-candles (no broker needed);\n" +
      "scale, bin/candles.ts over 1,000 markets against 10, and its peak resident memory.\n" +
      "--messages N also sets the records of the candles, replay and scale rows (default\n" +
      "1,000,000, --quick 100,000; candles and replay need 1,000 or more, scale 10,000).\n" +
      "--repetitions N also sets theirs (default 3, --quick 1).\n" +
      "A run with --only replaces its sections of bench/results.json and keeps the others.\n" +
      "--baseline <git-ref>: the candle rows also run bin/candles.ts of that ref (a worktree in\n" +
      "/tmp) and of this checkout as processes, over the same topics, side by side.\n" +
      "--report-only re-renders bench/RESULTS.md from bench/results.json and bench/ANALYSIS.md.",
  );
  Deno.exit(0);
}

if (flags["report-only"]) {
  // Re-renders bench/RESULTS.md from bench/results.json (after editing bench/ANALYSIS.md).
  await writeReport("bench/RESULTS.md", JSON.parse(await Deno.readTextFile("bench/results.json")));
  Deno.exit(0);
}

/** A bad flag: one line, exit 2. */
function refuse(line: string): never {
  console.error(`bench: ${line}`);
  Deno.exit(2);
}
for (const name of ["messages", "repetitions", "batch"] as const) {
  const value = flags[name];
  if (value !== undefined && !(/^\d+$/.test(value) && Number(value) >= 1)) {
    refuse(`--${name} ${value}: not a whole number above 0`);
  }
}
/** Every section, in the order they run. */
const SECTIONS = Object.keys(SECTION_KEYS);
const only = new Set((flags.only ?? SECTIONS.join(",")).split(",").map((s) => s.trim()));
for (const name of only) {
  if (!SECTIONS.includes(name)) refuse(`--only ${name}: not a section (${SECTIONS.join(",")})`);
}
const candlesRun = only.has("candles");
for (
  const [section, least] of [["candles", 1_000], ["replay", 1_000], ["scale", 10_000]] as const
) {
  if (only.has(section) && flags.messages !== undefined && Number(flags.messages) < least) {
    refuse(
      `--messages ${flags.messages}: the ${section} rows need ${
        least.toLocaleString("en-US")
      } records or more`,
    );
  }
}
if (flags.baseline !== undefined) {
  if (!candlesRun) {
    refuse("--baseline applies to the candles section: add candles to --only");
  }
  if ((await shortSha(flags.baseline)) === null) {
    refuse(`--baseline ${flags.baseline}: not a commit of this repository`);
  }
}

const quick = flags.quick === true;
const kafkaHome = Deno.env.get("KAFKA_HOME_DIR") ?? ".kafka";
const opts: BenchOptions = {
  quick,
  brokers: flags.brokers ?? Deno.env.get("KAFKA_BOOTSTRAP_SERVERS") ?? "127.0.0.1:9092",
  kafkaLibs: `${kafkaHome}/libs`,
  messages: Number(flags.messages ?? (quick ? 50_000 : 200_000)),
  repetitions: Number(flags.repetitions ?? (quick ? 1 : 5)),
  latencySeconds: quick ? 6 : 30,
  tmp: await Deno.makeTempDir({ prefix: "crypto-bench-" }),
};
// The plain clients send batches of this many records.
const plainBatch = Number(flags.batch ?? 500);
const topics: string[] = [];

// The recording: LINES distinct messages, replayed PASSES times.
const LINES = 10_000;
const passes = Math.ceil(opts.messages / LINES);
const messages = LINES * passes;
const file = `${opts.tmp}/prices.jsonl`;
const oneLine = `${opts.tmp}/one.jsonl`;
const valueBytes = await writeRecording(file, LINES);
await writeRecording(oneLine, 1);
const records = plainRecords(messages);
const recordsFile = `${opts.tmp}/records.tsv`;
if (only.has("produce")) await writeRecordsFile(recordsFile, records);

// Versions and tools.
const javaText = await runs("java", ["-version"]);
const kcatText = await runs("kcat", ["-V"]);
let kafkaVersion: string | null = null;
try {
  for (const entry of Deno.readDirSync(opts.kafkaLibs)) {
    const m = /^kafka-clients-(.+)\.jar$/.exec(entry.name);
    if (m) kafkaVersion = m[1]!;
  }
} catch {
  say(`no Kafka jars in ${opts.kafkaLibs} (set KAFKA_HOME_DIR): ProducerPerformance skipped`);
}
const denoJson = await Deno.readTextFile("deno.json");
const kafkajsVersion = /kafkajs@([\d.]+)/.exec(denoJson)?.[1] ?? null;
const platformaticVersion = /@platformatic\/kafka@([\d.]+)/.exec(denoJson)?.[1] ?? null;
const javaOk = javaText !== null && kafkaVersion !== null;
if (javaText === null) say("java not found: the Java tools' figures are null");
if (kcatText === null) say("kcat not found: kcat figures are null (apt-get install kcat)");

const versions = {
  deno: Deno.version.deno,
  v8: Deno.version.v8,
  platformatic_kafka: platformaticVersion,
  kafkajs: kafkajsVersion,
  kafka: kafkaVersion,
  java: javaText ? /version "([^"]+)"/.exec(javaText)?.[1] ?? javaText.split("\n")[0] : null,
  kcat: kcatText ? /Version ([\d.]+)/.exec(kcatText)?.[1] ?? null : null,
};
say(
  `brokers ${opts.brokers}, ${messages} messages of ~${Math.round(valueBytes)} B, ${
    quick ? "quick" : "full"
  } run; ${JSON.stringify(versions)}`,
);

// What this run's sections are: the default sizes of a full or a quick run, or sizes of its own
// (the plain clients' batch is in the settings).
const runMode = flags.messages !== undefined || flags.repetitions !== undefined
  ? "custom"
  : quick
  ? "quick"
  : "full";
const results: Record<string, unknown> = {
  generated_at: new Date().toISOString(),
  mode: runMode,
  brokers: opts.brokers,
  machine: { cpus: navigator.hardwareConcurrency, os: Deno.build.os, arch: Deno.build.arch },
  versions,
  settings: {
    messages,
    value_bytes: round(valueBytes),
    partitions: 3,
    acks: "all",
    idempotent: true,
    repetitions: opts.repetitions,
    plain_batch: plainBatch,
    latency_seconds: opts.latencySeconds,
  },
};

type Sample = {
  pipeline: number[];
  platformatic: number[];
  kafkajs: number[];
  kcat: number[];
  java: number[];
};
const samples = (): Sample => ({ pipeline: [], platformatic: [], kafkajs: [], kcat: [], java: [] });
const med = (xs: number[]) => round(median(xs));
const figures = (s: Sample, present: { kcat: boolean; java: boolean }) => ({
  pipeline: med(s.pipeline),
  platformatic: med(s.platformatic),
  kafkajs: med(s.kafkajs),
  kcat: present.kcat ? med(s.kcat) : null,
  java: present.java ? med(s.java) : null,
  runs: Object.fromEntries(Object.entries(s).map(([k, xs]) => [k, xs.map((x) => round(x))])),
});
const rate = (x: { rate: number } | null) => (x ? x.rate.toFixed(0) : "-");

/** Keeps a section's figures, with the time they were taken (unless given) and the run's mode. */
function put(key: string, figures: object): void {
  results[key] = { generated_at: new Date().toISOString(), mode: runMode, ...figures };
  (results[key] as Record<string, unknown>).mode = runMode;
}

async function attempt<T>(what: string, run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (error) {
    say(`${what} failed: ${error instanceof Error ? error.message : error}`);
    return null;
  }
}

// The in-process contenders run once on 10,000 records before anything is measured, so V8 has
// compiled each client's encoder and decoder before the clock starts for any of them.
const WARM_UP = Math.min(10_000, messages);

if (only.has("produce")) {
  for (const gzip of [false, true]) {
    const s = samples();
    const warm = [
      await producePipeline(opts, { file, lines: LINES, passes: 1, gzip }),
      await producePlatformatic(opts, {
        records: records.slice(0, WARM_UP),
        batch: plainBatch,
        gzip,
      }),
      await produceKafkajs(opts, { records: records.slice(0, WARM_UP), batch: plainBatch, gzip }),
    ];
    topics.push(...warm.map((w) => w.topic));
    for (let r = 0; r < opts.repetitions; r++) {
      const p = await producePipeline(opts, { file, lines: LINES, passes, gzip });
      s.pipeline.push(p.rate);
      const pk = await producePlatformatic(opts, { records, batch: plainBatch, gzip });
      s.platformatic.push(pk.rate);
      const k = await produceKafkajs(opts, { records, batch: plainBatch, gzip });
      s.kafkajs.push(k.rate);
      topics.push(p.topic, pk.topic, k.topic);
      const c = kcatText !== null
        ? await attempt("kcat", () => produceKcat(opts, { recordsFile, messages, gzip }))
        : null;
      if (c) {
        topics.push(c.topic);
        s.kcat.push(c.rate);
      }
      const j = javaOk
        ? await attempt(
          "ProducerPerformance",
          () => produceJava(opts, { payloadFile: file, messages, gzip }),
        )
        : null;
      if (j) {
        topics.push(j.topic);
        s.java.push(j.rate);
      }
      say(
        `produce gzip=${gzip} #${r + 1}: pipeline ${rate(p)}/s, platformatic ${rate(pk)}/s, ` +
          `kafkajs ${rate(k)}/s, kcat ${rate(c)}/s, java ${rate(j)}/s`,
      );
    }
    put(gzip ? "produce_gzip" : "produce", figures(s, { kcat: kcatText !== null, java: javaOk }));
  }
}

let filledTopic: string | null = null;
if (only.has("consume") || only.has("footprint")) {
  // One topic, filled once with the product's records (gzip off), read by every consumer.
  const fill = await produceKafkajs(opts, { records, batch: plainBatch, gzip: false });
  filledTopic = fill.topic;
  topics.push(fill.topic);
}

if (only.has("consume") && filledTopic) {
  const s = samples();
  const starts: number[] = [];
  const topic = filledTopic;
  await consumePipeline(opts, { topic, messages: WARM_UP });
  await consumePlatformatic(opts, { topic, messages: WARM_UP });
  await consumeKafkajs(opts, { topic, messages: WARM_UP });
  for (let r = 0; r < opts.repetitions; r++) {
    const p = await consumePipeline(opts, { topic, messages });
    s.pipeline.push(p.rate);
    starts.push(p.startSeconds);
    const pk = await consumePlatformatic(opts, { topic, messages });
    s.platformatic.push(pk.rate);
    const k = await consumeKafkajs(opts, { topic, messages });
    s.kafkajs.push(k.rate);
    const c = kcatText !== null
      ? await attempt("kcat", () => consumeKcat(opts, { topic, messages }))
      : null;
    if (c) s.kcat.push(c.rate);
    const j = javaOk
      ? await attempt("ConsumerPerformance", () => consumeJava(opts, { topic, messages }))
      : null;
    if (j) s.java.push(j.rate);
    say(
      `consume #${r + 1}: pipeline ${rate(p)}/s, platformatic ${rate(pk)}/s, ` +
        `kafkajs ${rate(k)}/s, kcat ${rate(c)}/s, java ${rate(j)}/s`,
    );
  }
  put("consume", {
    ...figures(s, { kcat: kcatText !== null, java: javaOk }),
    pipeline_join_seconds: round(median(starts), 2),
  });
}

if (only.has("latency")) {
  const latency: Record<string, Record<string, unknown>> = {
    pipeline: {},
    platformatic: {},
    kafkajs: {},
  };
  for (const perSecond of [10, 1000]) {
    const p = await latencyPipeline(opts, perSecond);
    const pk = await latencyPlatformatic(opts, perSecond);
    const k = await latencyKafkajs(opts, perSecond);
    const line = (run: typeof p) =>
      `p50 ${run.p50.toFixed(2)} p99 ${run.p99.toFixed(2)} max ${run.max.toFixed(2)} ms`;
    say(
      `latency ${perSecond}/s: pipeline ${line(p)}; platformatic ${line(pk)}; kafkajs ${line(k)}`,
    );
    for (const [name, run] of [["pipeline", p], ["platformatic", pk], ["kafkajs", k]] as const) {
      const summary = {
        p50: round(run.p50, 2),
        p99: round(run.p99, 2),
        max: round(run.max, 2),
        samples: run.samples,
        lost: run.lost,
      };
      if (perSecond === 10) Object.assign(latency[name]!, summary);
      latency[name]![`at_${perSecond}`] = summary;
    }
  }
  put("latency_ms", latency);
}

if (only.has("footprint") && filledTopic) {
  const f = await footprint(opts, { file, passes, filledTopic, filledMessages: messages });
  say(`footprint: ${JSON.stringify(f)}`);
  put("rss_mb", {
    produce_idle: round(f.produceIdleMb, 1),
    produce_load: round(f.produceLoadMb, 1),
    consume_idle: round(f.consumeIdleMb, 1),
    consume_load: round(f.consumeLoadMb, 1),
  });
  put("startup_ms", {
    to_first_produced: round(f.startupMs),
    runs: f.startupRuns.map((x) => round(x)),
  });
}

if (only.has("memory")) {
  const m = await memoryThroughput({
    file,
    lines: LINES,
    passes,
    oneLine,
    repetitions: opts.repetitions,
  });
  say(`start --transport memory: ${m.rate.toFixed(0)}/s (${JSON.stringify(m)})`);
  put("memory", {
    start_transport_memory: round(m.rate),
    messages: m.messages,
    gross_seconds: round(m.grossSeconds, 2),
    startup_seconds: round(m.baseSeconds, 2),
  });
}

if (only.has("http")) {
  const api = await apiThroughput({
    seconds: quick ? 5 : 10,
    repetitions: quick ? 1 : opts.repetitions > 1 ? 3 : 1,
  });
  const sse = await sseFanOut(1000);
  const dashboard = await dashboardLoad(quick ? 1 : 3);
  put("http", { ...api, sse_fan_out: sse, dashboard });
}

// The candle rows' sizes (candles, replay, scale): 1,000,000 records, --quick 100,000, or
// --messages; 3 repetitions, --quick 1, or --repetitions.
const candleCount = flags.messages ? opts.messages : quick ? 100_000 : 1_000_000;
const candleRepetitions = flags.repetitions ? opts.repetitions : quick ? 1 : 3;

if (only.has("candles")) {
  const count = candleCount;
  const repetitions = candleRepetitions;
  const baseline = flags.baseline
    ? await addBaseline(flags.baseline).catch((error) => {
      console.error(`bench: ${error instanceof Error ? error.message : error}`);
      return Deno.exit(1);
    })
    : null;
  // Ctrl+C takes the worktree away too.
  const interrupted = async () => {
    await baseline?.remove();
    Deno.exit(130);
  };
  if (baseline) Deno.addSignalListener("SIGINT", interrupted);
  try {
    const processes = baseline
      ? { flags: await candlesTaskFlags(opts.tmp), current: await currentCheckout(), baseline }
      : null;
    const prices = await candleRow(opts, {
      name: "prices",
      data: candlePrices(count),
      consume: (topic, messages) => consumePipeline(opts, { topic, messages }),
      repetitions,
      processes,
    });
    topics.push(...prices.topics);
    // `consume` prints prices only: the trades' plain consume is the client it runs on.
    const trades = await candleRow(opts, {
      name: "trades",
      data: candleTrades(count),
      consume: (topic, messages) => consumePlatformatic(opts, { topic, messages }),
      repetitions,
      processes,
    });
    topics.push(...trades.topics);
    const rows = quick ? 20_000 : 100_000;
    const upsert = await withDatabase((url) => upsertsAgainstCopy(url, rows));
    const { benchUpserts, sqliteBareUpserts } = await import("./store.ts");
    const { openStore } = await import("../store/open_store.ts");
    const upsertsDb = `${opts.tmp}/upserts.db`;
    const lite = await openStore(`sqlite:${upsertsDb}`);
    await benchUpserts(lite, 10_000);
    const sqliteUpserts = await benchUpserts(lite, rows);
    await lite.close();
    const sqliteBare = sqliteBareUpserts(upsertsDb, 10_000);
    const latency = await closeLatency(opts, {
      store: `sqlite:${opts.tmp}/latency.db`,
      seconds: quick ? 10 : 30,
    });
    say(
      `candles: upsert ${upsert.upsert.toFixed(0)} rows/s, COPY ${
        upsert.copy.toFixed(0)
      } rows/s; SQLite upsert ${sqliteUpserts.toFixed(0)} rows/s, bare ${
        sqliteBare.toFixed(0)
      } rows/s; close p99 ${latency.p99.toFixed(1)} ms`,
    );
    const { generated_at, ...priceFigures } = prices.figures;
    put("candles", {
      generated_at,
      symbols: 100,
      ...priceFigures,
      upsert: {
        rows,
        postgres: round(upsert.upsert),
        copy: round(upsert.copy),
        sqlite: round(sqliteUpserts),
        sqlite_bare: round(sqliteBare),
      },
      close_latency_ms: {
        p50: round(latency.p50, 1),
        p99: round(latency.p99, 1),
        max: round(latency.max, 1),
        samples: latency.samples,
      },
    });
    const { generated_at: tradesAt, ...tradeFigures } = trades.figures;
    put("candles_trades", {
      generated_at: tradesAt,
      products: 10,
      consume_by: "plain @platformatic/kafka",
      ...tradeFigures,
    });
  } finally {
    if (baseline) Deno.removeSignalListener("SIGINT", interrupted);
    await baseline?.remove();
  }
}

if (only.has("trades")) put("trades", await tradesFigures(opts));
if (only.has("repair")) put("repair", await repairFigures(opts));
if (only.has("restart")) put("restart", await restartFigures(opts));

if (only.has("replay")) {
  const figures = await replayCandles(opts.tmp, {
    count: candleCount,
    repetitions: candleRepetitions,
  });
  say(
    `replay: with candles ${figures.with_candles}/s, without ${figures.without_candles}/s`,
  );
  put("replay_candles", figures);
}

if (only.has("scale")) {
  const scale = await candlesScale(opts, { count: candleCount, repetitions: candleRepetitions });
  topics.push(...scale.topics);
  say(
    `candles scale: 10 markets ${scale.figures.markets_10}/s, 1,000 markets ${scale.figures.markets_1000}/s, peak RSS ${scale.figures.rss_mb_1000} MB`,
  );
  put("candles_scale", scale.figures);
}

await deleteTopics(opts, topics);
await Deno.remove(opts.tmp, { recursive: true }).catch(() => {});
if (SECTIONS.some((name) => !only.has(name))) {
  // A partial run updates its sections of the last results and keeps the others.
  const earlier = await Deno.readTextFile("bench/results.json").then(JSON.parse, () => ({}));
  const all = merged(earlier, results, only);
  for (const key of Object.keys(results)) delete results[key];
  Object.assign(results, all);
}
// `full` only when every section in the file is from a full run.
results.mode = fileMode(results);
await Deno.writeTextFile("bench/results.json", JSON.stringify(results, null, 2) + "\n");
await writeReport("bench/RESULTS.md", results);
say("wrote bench/results.json and bench/RESULTS.md");
Deno.exit(0);
