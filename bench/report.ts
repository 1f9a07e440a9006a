/**
 * Writes `bench/RESULTS.md` from the figures: the tables, the ratios, the targets, and the
 * hand-written analysis kept in `bench/ANALYSIS.md`.
 *
 * @module
 */

import { candlesSection, replaySection, scaleSection } from "./candles_report.ts";
import { tradesSection } from "./trades_report.ts";
import { repairSection, restartSection } from "./repair_report.ts";

type Figures = Record<string, unknown>;

function get(results: Figures, path: string): number | null {
  let value: unknown = results;
  for (const key of path.split(".")) value = (value as Figures | undefined)?.[key];
  return typeof value === "number" ? value : null;
}

const n = (v: number | null, digits = 0) =>
  v === null ? "n/a" : v.toLocaleString("en-US", { maximumFractionDigits: digits });
const ratio = (a: number | null, b: number | null) =>
  a === null || b === null || b === 0 ? "n/a" : (a / b).toFixed(2);
const check = (ok: boolean | null) => ok === null ? "n/a" : ok ? "met" : "**missed**";

/** What a mode says of the run: `deno task bench` with which sizes. */
const RUNS: Record<string, string> = {
  full: "`deno task bench`",
  quick: "`deno task bench --quick`",
  custom: "`deno task bench` with sizes of its own (`--messages` or `--repetitions`)",
};

/** The sections of `results.json`, as the report names them. */
const SECTION_NAMES: [string, string][] = [
  ["produce", "produce"],
  ["produce_gzip", "produce, gzip"],
  ["consume", "consume"],
  ["latency_ms", "latency"],
  ["rss_mb", "footprint"],
  ["memory", "embedded log"],
  ["http", "HTTP"],
  ["candles", "candles, prices"],
  ["candles_trades", "candles, trades"],
  ["replay_candles", "replay with candles"],
  ["candles_scale", "candles over many markets"],
  ["trades", "trades"],
  ["repair", "repair"],
  ["restart", "restart"],
];

/**
 * The report's opening line: the run the figures come from, or when they come from several runs
 * (a later `--only` run replaced some sections), each section's run and time.
 */
function provenance(results: Figures): string {
  const mode = typeof results.mode === "string" ? results.mode : "unknown";
  const run = RUNS[mode];
  if (run !== undefined) return `From the run of ${run} at ${results.generated_at}`;
  const sections = SECTION_NAMES.flatMap(([key, label]) => {
    const section = results[key] as Figures | undefined;
    if (section === undefined) return [];
    const how = typeof section.mode === "string" ? section.mode : "mode not recorded";
    return [`${label} ${how}${section.generated_at ? ` at ${section.generated_at}` : ""}`];
  });
  return `From several runs of \`deno task bench\` (full, \`--quick\`, or with sizes of their own), the last at ${results.generated_at}; by section: ${
    sections.join("; ")
  }. Settings below are those of the Kafka throughput rows`;
}

/**
 * Renders the report.
 *
 * @param results The figures of `results.json`.
 * @param analysis The hand-written part, appended as it is.
 * @returns The Markdown.
 */
export function renderReport(results: Figures, analysis: string): string {
  const g = (p: string) => get(results, p);
  const v = results.versions as Record<string, string | null>;
  const s = results.settings as Record<string, number | string | boolean>;
  const lines: string[] = [
    "# Benchmark results",
    "",
    `${
      provenance(results)
    } against ${results.brokers}. Deno ${v.deno}, @platformatic/kafka ${v.platformatic_kafka}, kafkajs ${v.kafkajs}, Kafka ${v.kafka}, Java ${v.java}, kcat ${v.kcat}; ${
      (results.machine as Figures).cpus
    } CPUs. Each throughput figure is the median of ${s.repetitions} run(s), the contenders run one after the other within each repetition; ${s.messages} messages of ~${s.value_bytes} B (a price message), 3 partitions, acks=all, idempotent producers.`,
    "",
    "## Throughput (messages/s)",
    "",
    "| contender | produce, gzip off | produce, gzip on | consume (gzip off) |",
    "| --- | ---: | ---: | ---: |",
  ];
  const contenders = [
    ["pipeline (the product)", "pipeline"],
    ["plain @platformatic/kafka", "platformatic"],
    ["plain kafkajs", "kafkajs"],
    ["kcat (librdkafka)", "kcat"],
    ["Kafka's Java tools (ProducerPerformance, ConsumerPerformance)", "java"],
  ] as const;
  for (const [label, key] of contenders) {
    lines.push(
      `| ${label} | ${n(g(`produce.${key}`))} | ${n(g(`produce_gzip.${key}`))} | ${
        n(g(`consume.${key}`))
      } |`,
    );
  }
  for (const [label, key] of contenders.slice(0, 3)) {
    lines.push(
      `| ${label.replace(/ \(.*/, "")} / Java (produce), / kcat (consume) | ${
        ratio(g(`produce.${key}`), g("produce.java"))
      } | ${ratio(g(`produce_gzip.${key}`), g("produce_gzip.java"))} | ${
        ratio(g(`consume.${key}`), g("consume.kcat"))
      } |`,
    );
  }
  lines.push(
    `| embedded log, \`start --transport memory\` end to end | ${
      n(g("memory.start_transport_memory"))
    } | | |`,
    "",
    `Run by run (each repetition's contenders ran back to back): ${
      (["produce", "produce_gzip", "consume"] as const).map((key) => {
        const runs = (results[key] as Figures | undefined)?.runs as
          | Record<string, number[]>
          | undefined;
        const reference = key === "consume" ? "kcat" : "java";
        const pairs = (runs?.pipeline ?? []).map((p, i) =>
          ratio(p, runs?.[reference]?.[i] ?? null)
        );
        const label = {
          produce: "produce gzip off, pipeline / Java",
          produce_gzip: "gzip on, pipeline / Java",
          consume: "consume, pipeline / kcat",
        };
        return `${label[key]} ${pairs.length > 0 ? pairs.join(", ") : "n/a"}`;
      }).join("; ")
    }.`,
    "",
    "## End-to-end latency (ms, through the broker)",
    "",
    "| rate | contender | p50 | p99 | max | samples |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
  );
  for (const rate of [10, 1000]) {
    for (const who of ["pipeline", "platformatic", "kafkajs"]) {
      const base = `latency_ms.${who}.at_${rate}`;
      if (g(`${base}.samples`) === null) continue;
      lines.push(
        `| ${rate}/s | ${who === "platformatic" ? "plain @platformatic/kafka" : who} | ${
          n(g(`${base}.p50`), 2)
        } | ${n(g(`${base}.p99`), 2)} | ${n(g(`${base}.max`), 2)} | ${n(g(`${base}.samples`))} |`,
      );
    }
  }
  lines.push(
    "",
    "## Footprint",
    "",
    "| figure | value |",
    "| --- | ---: |",
    `| \`produce\` resident memory, idle between fetches | ${n(g("rss_mb.produce_idle"), 1)} MB |`,
    `| \`produce\` resident memory, replay at full speed (peak) | ${
      n(g("rss_mb.produce_load"), 1)
    } MB |`,
    `| \`consume\` resident memory, idle (joined, nothing to read) | ${
      n(g("rss_mb.consume_idle"), 1)
    } MB |`,
    `| \`consume\` resident memory, reading the full topic (peak) | ${
      n(g("rss_mb.consume_load"), 1)
    } MB |`,
    `| \`produce\` start-up to the first produced message | ${
      n(g("startup_ms.to_first_produced"))
    } ms |`,
    "",
    "## HTTP (`serve`)",
    "",
    `Taken at ${
      (results.http as Figures | undefined)?.generated_at ?? "n/a"
    } with wrk (1 thread, 32 connections, 10 s after a 2 s warm-up, median of the runs) on the same machine; the bare server is a plain \`Deno.serve\` answering the very bytes the API answers. p99 ratio: bare p99 / API p99 (1.0 is as fast as bare).`,
    "",
    "| route | API req/s | bare req/s | API / bare | API p99 | bare p99 | bare / API p99 | API, cache off, req/s (p99) | bare query req/s (p99) | cache off / bare query |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (
    const [label, key] of [
      ["`/api/v1/prices/latest` (10 prices)", "prices_latest"],
      ["`/api/v1/candles/BTC` (500 candles)", "candles_500"],
    ] as const
  ) {
    const base = `http.${key}`;
    lines.push(
      `| ${label} | ${n(g(`${base}.app.rps`))} | ${n(g(`${base}.bare.rps`))} | ${
        ratio(g(`${base}.app.rps`), g(`${base}.bare.rps`))
      } | ${n(g(`${base}.app.p99_ms`), 2)} ms | ${n(g(`${base}.bare.p99_ms`), 2)} ms | ${
        ratio(g(`${base}.bare.p99_ms`), g(`${base}.app.p99_ms`))
      } | ${n(g(`${base}.app_nocache.rps`))} (${n(g(`${base}.app_nocache.p99_ms`), 2)} ms) | ${
        g(`${base}.bare_query.rps`) === null
          ? "n/a"
          : `${n(g(`${base}.bare_query.rps`))} (${n(g(`${base}.bare_query.p99_ms`), 2)} ms)`
      } | ${ratio(g(`${base}.app_nocache.rps`), g(`${base}.bare_query.rps`))} |`,
    );
  }
  lines.push(
    "",
    "The bare query server (500 candles only) is a plain `Deno.serve` that, for every request, runs the SELECT the store runs for a market's latest candles (`node:sqlite`, a prepared statement, on a `:memory:` database of the store's schema holding the same 600 candles) and answers the rows `JSON.stringify`ed, in the API's shape: what the API with its answer cache off does, without the framework, the market lookup and the row conversion.",
    "",
    `Live stream fan-out to ${
      n(g("http.sse_fan_out.clients"))
    } clients (time from a price entering the hub to the last client reading it, ${
      n(g("http.sse_fan_out.events"))
    } events): p50 ${n(g("http.sse_fan_out.p50_ms"), 2)} ms, p99 ${
      n(g("http.sse_fan_out.p99_ms"), 2)
    } ms, max ${n(g("http.sse_fan_out.max_ms"), 2)} ms.`,
    "",
    `Dashboard first load in headless Chromium: ${
      n(g("http.dashboard.first_load_bytes"))
    } bytes (page, styles, module, chart library and the API answers; uncompressed), first chart painted ${
      n(g("http.dashboard.first_chart_ms"))
    } ms after navigation start.`,
    "",
    "## Targets",
    "",
    "| target | figure | result |",
    "| --- | --- | --- |",
  );
  const at = (a: number | null, b: number | null) =>
    a === null || b === null || b === 0 ? null : a / b;
  const prod = at(g("produce.pipeline"), g("produce.java"));
  const prodGzip = at(g("produce_gzip.pipeline"), g("produce_gzip.java"));
  const cons = at(g("consume.pipeline"), g("consume.kcat"));
  const p99 = g("latency_ms.pipeline.p99");
  const pi = g("rss_mb.produce_idle");
  const ci = g("rss_mb.consume_idle");
  lines.push(
    `| produce pipeline ≥ 0.6 × Java ProducerPerformance (gzip off) | ${
      ratio(g("produce.pipeline"), g("produce.java"))
    } | ${check(prod === null ? null : prod >= 0.6)} |`,
    `| produce pipeline ≥ 0.6 × Java ProducerPerformance (gzip on) | ${
      ratio(g("produce_gzip.pipeline"), g("produce_gzip.java"))
    } | ${check(prodGzip === null ? null : prodGzip >= 0.6)} |`,
    `| consume pipeline ≥ 0.8 × kcat | ${ratio(g("consume.pipeline"), g("consume.kcat"))} | ${
      check(cons === null ? null : cons >= 0.8)
    } |`,
    `| end-to-end p99 ≤ 25 ms at 10/s | ${n(p99, 2)} ms | ${
      check(p99 === null ? null : p99 <= 25)
    } |`,
    `| \`produce\` idle RSS ≤ 80 MB | ${n(pi, 1)} MB | ${check(pi === null ? null : pi <= 80)} |`,
    `| \`consume\` idle RSS ≤ 80 MB | ${n(ci, 1)} MB | ${check(ci === null ? null : ci <= 80)} |`,
  );
  for (
    const [label, key, min] of [
      ["`/api/v1/prices/latest`", "prices_latest", 0.7],
      ["500-candle `/api/v1/candles/BTC`", "candles_500", 0.5],
    ] as const
  ) {
    const rps = g(`http.${key}.app.rps`);
    const bare = g(`http.${key}.bare.rps`);
    const p99 = g(`http.${key}.app.p99_ms`);
    const bareP99 = g(`http.${key}.bare.p99_ms`);
    const r = rps === null || bare === null ? null : rps / bare;
    const q = p99 === null || bareP99 === null || p99 === 0 ? null : bareP99 / p99;
    lines.push(
      `| ${label} req/s ≥ ${min} × bare | ${ratio(rps, bare)} | ${
        check(r === null ? null : r >= min)
      } |`,
      `| ${label} p99 ≥ ${min} × bare (bare p99 / API p99) | ${ratio(bareP99, p99)} | ${
        check(q === null ? null : q >= min)
      } |`,
    );
  }
  const nocache = g("http.candles_500.app_nocache.rps");
  const bareQuery = g("http.candles_500.bare_query.rps");
  const q = nocache === null || bareQuery === null || bareQuery === 0 ? null : nocache / bareQuery;
  lines.push(
    `| 500-candle \`/api/v1/candles/BTC\`, cache off, req/s ≥ 0.7 × bare query server | ${
      ratio(nocache, bareQuery)
    } | ${check(q === null ? null : q >= 0.7)} |`,
  );
  const sseP99 = g("http.sse_fan_out.p99_ms");
  lines.push(
    `| SSE fan-out to 1,000 clients p99 ≤ 100 ms | ${n(sseP99, 2)} ms | ${
      check(sseP99 === null ? null : sseP99 <= 100)
    } |`,
    "",
    ...candlesSection(results),
    ...replaySection(results),
    ...scaleSection(results),
    ...tradesSection(results),
    ...repairSection(results),
    ...restartSection(results),
  );
  return lines.join("\n") + (analysis ? `\n${analysis.trim()}\n` : "");
}

/**
 * Writes the report next to the figures.
 *
 * @param path Where.
 * @param results The figures.
 */
export async function writeReport(path: string, results: Figures): Promise<void> {
  let analysis = "";
  try {
    analysis = await Deno.readTextFile("bench/ANALYSIS.md");
  } catch {
    // none yet
  }
  await Deno.writeTextFile(path, renderReport(results, analysis));
  // Formatted as `deno task check` wants it (best effort).
  await new Deno.Command("deno", { args: ["fmt", "-q", path], stdout: "null", stderr: "null" })
    .output()
    .catch(() => {});
}
