/**
 * The candle section of `bench/RESULTS.md`.
 *
 * @module
 */

type Figures = Record<string, unknown>;

const num = (v: unknown, digits = 0) =>
  typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: digits }) : "n/a";
const ratio = (a: unknown, b: unknown) =>
  typeof a === "number" && typeof b === "number" && b > 0 ? (a / b).toFixed(2) : "n/a";
const verdict = (ok: boolean | null) => ok === null ? "n/a" : ok ? "met" : "**missed**";

const met = (r: string) => verdict(r === "n/a" ? null : Number(r) >= 0.8);

/** The before-and-after table, when the run had `--baseline`. */
function baselineLines(prices: Figures, trades: Figures | undefined): string[] {
  const base = prices.baseline as Figures | undefined;
  const current = prices.process as Figures | undefined;
  if (!base || !current) return [];
  const tradeBase = (trades?.baseline ?? {}) as Figures;
  const tradeCurrent = (trades?.process ?? {}) as Figures;
  const row = (label: string, b: Figures, c: Figures, key: string) =>
    `| ${label} | ${num(b[key])} | ${num(c[key])} | ${ratio(c[key], b[key])} |`;
  return [
    `Before and after (\`--baseline ${base.ref}\`): \`bin/candles.ts\` of ${base.ref} (${base.sha}) and of this checkout (${current.sha}), each run as a process with the Deno flags of this checkout's \`deno task candles\` and \`--topic … --store … --from-beginning --intervals 1m,5m,15m,1h --idle-timeout 3600 --group … --format line --no-alerts\` (a consumer group and a fresh store of its own, SQLite file or PostgreSQL database), over the same topics as above, the two alternated; records read per second from its partitions' assignment to its store holding every record in a closed 1m candle (polled every 10 ms). A process starts cold, where the in-process runs above follow warmed-up ones.`,
    "",
    `| records/s | ${base.ref} (${base.sha}) | this checkout (${current.sha}) | this ÷ ${base.ref} |`,
    "| --- | ---: | ---: | ---: |",
    row("prices → SQLite", base, current, "sqlite"),
    row("prices → PostgreSQL", base, current, "postgres"),
    row("trades → SQLite", tradeBase, tradeCurrent, "sqlite"),
    row("trades → PostgreSQL", tradeBase, tradeCurrent, "postgres"),
    "",
  ];
}

/**
 * Renders the candle figures of `results.json`, if it has them.
 *
 * @param results The figures.
 * @returns Markdown lines (none without candle figures).
 */
export function candlesSection(results: Figures): string[] {
  const c = results.candles as Figures | undefined;
  if (!c) return [];
  const t = results.candles_trades as Figures | undefined;
  const tr = t ?? {};
  const upsert = c.upsert as Figures;
  const latency = c.close_latency_ms as Figures;
  const sqliteRatio = ratio(c.sqlite, c.consume);
  const pgRatio = ratio(c.postgres, c.consume);
  const tradeSqliteRatio = ratio(tr.sqlite, tr.consume);
  const tradePgRatio = ratio(tr.postgres, tr.consume);
  const p99 = typeof latency.p99 === "number" ? latency.p99 : null;
  const tradeClosing = typeof tr.closing === "number"
    ? ` and the last ${num(tr.closing)} trades (one per product)`
    : "";
  const closing = typeof c.closing === "number"
    ? ` The last ${
      num(c.closing)
    } prices (one per symbol)${tradeClosing} come two hours after the others, so that every window closes.`
    : "";
  const tradesText = t
    ? ` The trades: one topic of ${num(t.messages)} trade messages (docs/trades.md) of ${
      num(t.products)
    } products, taken in turn 7 ms apart (minutes of trades), trade ids increasing per product, buys and sells mixed, against ${t.consume_by} consuming the same topic (the product's \`consume\` prints prices only); medians of ${
      num(t.repetitions)
    } run(s).`
    : "";
  return [
    "## Candles",
    "",
    `Run at ${c.generated_at}: \`candles --from-beginning\` (in process, exactly its topology: Subscriber → Aggregator → CandleSink → store, the candle topic's publisher and the Committer) over one topic of ${
      num(c.messages)
    } prices of ${
      num(c.symbols)
    } symbols (one a second each; intervals 1m, 5m, 15m, 1h), against the pipeline's plain consume (\`consume --format json\` to /dev/null) of the same topic, alternated; medians of ${
      num(c.repetitions)
    } run(s), from the first record handed on to the last write (candles) or line (consume).${tradesText}${closing}`,
    "",
    "| | prices/s | ratio to consume | trades/s | ratio to consume | target |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
    `| consume (plain) | ${num(c.consume)} | 1.00 | ${num(tr.consume)} | ${t ? "1.00" : "n/a"} | |`,
    `| candles → SQLite | ${num(c.sqlite)} | ${sqliteRatio} | ${
      num(tr.sqlite)
    } | ${tradeSqliteRatio} | ≥ 0.8: ${met(sqliteRatio)}, ${met(tradeSqliteRatio)} |`,
    `| candles → PostgreSQL | ${num(c.postgres)} | ${pgRatio} | ${
      num(tr.postgres)
    } | ${tradePgRatio} | ≥ 0.8: ${met(pgRatio)}, ${met(tradePgRatio)} |`,
    "",
    ...baselineLines(c, t),
    `Store upserts (${
      num(upsert.rows)
    } candle rows, writes of 5,000 as the sink batches them) against PostgreSQL's own \`COPY … FROM STDIN\` of the same rows: upsert ${
      num(upsert.postgres)
    } rows/s, COPY ${num(upsert.copy)} rows/s (${
      ratio(upsert.postgres, upsert.copy)
    } of the ceiling); SQLite upserts ${num(upsert.sqlite)} rows/s${
      typeof upsert.sqlite_bare === "number"
        ? `, against a bare \`INSERT … ON CONFLICT\` loop of the same rows in one transaction with \`node:sqlite\` (same table, WAL, \`synchronous = FULL\`) at ${
          num(upsert.sqlite_bare)
        } rows/s (${ratio(upsert.sqlite, upsert.sqlite_bare)} of it)`
        : ""
    }.`,
    "",
    `Close to readable (20 symbols, event time one second ahead every 20 ms, 1m candles into SQLite; from the send of the price that moved the watermark past a window's end to the store's answer to the write with the closed row, Kafka's transit included): p50 ${
      num(latency.p50, 1)
    } ms, p99 ${num(latency.p99, 1)} ms, max ${num(latency.max, 1)} ms over ${
      num(latency.samples)
    } candles — target p99 ≤ 25 ms: ${verdict(p99 === null ? null : p99 <= 25)}.`,
    "",
  ];
}

/** A section's run, as the report says it. */
const ranAt = (section: Figures) =>
  `Run at ${section.generated_at ?? "n/a"}${
    typeof section.mode === "string" ? ` (${section.mode} run)` : ""
  }`;

/**
 * Renders what candles cost `start` over a replay (`replay_candles` of `results.json`).
 *
 * @param results The figures.
 * @returns Markdown lines (none without those figures).
 */
export function replaySection(results: Figures): string[] {
  const r = results.replay_candles as Figures | undefined;
  if (!r) return [];
  const withSeconds = (r.with_candles_seconds ?? {}) as Figures;
  const withoutSeconds = (r.without_candles_seconds ?? {}) as Figures;
  const rate = ratio(r.with_candles, r.without_candles);
  return [
    "## Candles in `start`",
    "",
    `${
      ranAt(r)
    }: the real \`start --no-http --source replay:FILE --iterations 1 --format json\` on the embedded log, a subprocess with the Deno flags of \`deno task start\`, over a recording of ${
      num(r.messages)
    } prices of ${
      num(r.symbols)
    } symbols (one a second each, the last one per symbol two hours later so that every window closes), with candles (default intervals and alerts, \`--store sqlite:\` a fresh file in the scratch folder, \`--idle-timeout 3600\`) and with \`--no-candles\`, alternated; wall time from spawn to exit (\`start\` ends by itself once every price is printed and aggregated), less that of the same command on a one-line recording; medians of ${
      num(r.repetitions)
    } run(s).`,
    "",
    "| `start` over the replay | prices/s | seconds, spawn to exit | start-up and shut-down, s |",
    "| --- | ---: | ---: | ---: |",
    `| \`--no-candles\` | ${num(r.without_candles)} | ${num(withoutSeconds.gross, 2)} | ${
      num(withoutSeconds.startup, 2)
    } |`,
    `| with candles into SQLite | ${num(r.with_candles)} | ${num(withSeconds.gross, 2)} | ${
      num(withSeconds.startup, 2)
    } |`,
    "",
    `With candles ÷ without: ${rate} — target ≥ 0.7: ${
      verdict(rate === "n/a" ? null : Number(rate) >= 0.7)
    }.`,
    "",
  ];
}

/**
 * Renders the candles over many markets (`candles_scale` of `results.json`).
 *
 * @param results The figures.
 * @returns Markdown lines (none without those figures).
 */
export function scaleSection(results: Figures): string[] {
  const s = results.candles_scale as Figures | undefined;
  if (!s) return [];
  const rate = ratio(s.markets_1000, s.markets_10);
  const rss = typeof s.rss_mb_1000 === "number" ? s.rss_mb_1000 : null;
  return [
    "## Candles over many markets",
    "",
    `${
      ranAt(s)
    }: \`bin/candles.ts\` as a process with the Deno flags of \`deno task candles\` (\`--from-beginning --intervals ${
      Array.isArray(s.intervals) ? s.intervals.join(",") : "n/a"
    } --idle-timeout 3600 --no-alerts\`, a fresh SQLite store and consumer group each run) over a topic of ${
      num(s.messages)
    } trades of 1,000 products (\`C0001-USD\` …) and over one of as many trades of 10, taken in turn 7 ms apart, the last one per product two hours later so that every window closes; alternated, medians of ${
      num(s.repetitions)
    } run(s). Trades per second from its partitions' assignment to its store holding every trade in a closed 1m candle; peak resident memory from \`ps\` every ${
      num(s.rss_every_ms)
    } ms until it exits.`,
    "",
    "| markets | trades/s | peak RSS |",
    "| ---: | ---: | ---: |",
    `| 10 | ${num(s.markets_10)} | ${num(s.rss_mb_10, 1)} MB |`,
    `| 1,000 | ${num(s.markets_1000)} | ${num(s.rss_mb_1000, 1)} MB |`,
    "",
    `1,000 markets ÷ 10: ${rate} — target ≥ 0.8: ${
      verdict(rate === "n/a" ? null : Number(rate) >= 0.8)
    }. Peak RSS over 1,000 markets ${num(rss, 1)} MB — target ≤ 300 MB: ${
      verdict(rss === null ? null : rss <= 300)
    }.`,
    "",
  ];
}
