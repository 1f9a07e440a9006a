/**
 * The trade section of `bench/RESULTS.md`.
 *
 * @module
 */

type Figures = Record<string, unknown>;

const num = (v: unknown, digits = 0) =>
  typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: digits }) : "n/a";
const ratio = (a: unknown, b: unknown) =>
  typeof a === "number" && typeof b === "number" && b > 0 ? (a / b).toFixed(2) : "n/a";

/**
 * Renders the trade figures of `results.json`, if it has them.
 *
 * @param results The figures.
 * @returns Markdown lines (none without trade figures).
 */
export function tradesSection(results: Figures): string[] {
  const t = results.trades as Figures | undefined;
  if (!t) return [];
  const latency = t.latency_ms as Figures;
  return [
    "## Trades (`--source coinbase`)",
    "",
    `Run at ${t.generated_at}. Throughput: the feed's stand-in (\`tests/support/coinbase_stub.ts\`, a process of its own) sends ${
      num(t.trades)
    } matches of 3 products as fast as it can once subscribed; in the bench's process, \`produce --source coinbase\`'s topology (TradeSource → Publisher, the buffer large enough to hold them all) reads, checks, de-duplicates, encodes and publishes them (acks=all, idempotent, 3 partitions). From the first frame handed to the stand-in's socket to the last acknowledgement (and to the last frame read by the trade source); medians of ${
      num(t.repetitions)
    } run(s). The bare socket is a WebSocket client that only counts the same frames.`,
    "",
    "| | trades/s | ratio to the bare socket |",
    "| --- | ---: | ---: |",
    `| bare socket (read, nothing done) | ${num(t.socket)} | 1.00 |`,
    `| socket → trade source (read and checked) | ${num(t.read)} | ${ratio(t.read, t.socket)} |`,
    `| socket → acknowledged on the topic | ${num(t.pipeline)} | ${ratio(t.pipeline, t.socket)} |`,
    "",
    `Dropped from the buffer: ${num(t.dropped)}. Runs (socket → acknowledged): ${
      ((t.runs as Figures | undefined)?.pipeline as number[] | undefined)?.map((x) => num(x))
        .join(", ") ?? "n/a"
    }.`,
    "",
    `Frame to closed candle readable, at 100 trades/s (10 products, each product's event time 6 s ahead a trade so that each closes a 1m window a second; stand-in → socket → TradeSource → Publisher → Kafka → Subscriber → Aggregator → CandleSink → SQLite, one process; from the send of the frame of the first trade at or past a window's end plus the 10 s out-of-orderness to the store's answer to the write holding the closed row): p50 ${
      num(latency.p50, 1)
    } ms, p99 ${num(latency.p99, 1)} ms, max ${num(latency.max, 1)} ms over ${
      num(latency.samples)
    } candles (${num(latency.seconds)} s). The same frames to their acknowledgement by Kafka: p50 ${
      num(latency.acked_p50, 1)
    } ms, p99 ${num(latency.acked_p99, 1)} ms.`,
    "",
    "What limits them: a CPU profile of a throughput run (`deno run --cpu-prof`) puts about 30 % of the busy time in the trade source itself (encoding each message with `JSON.stringify` is its largest item, then `JSON.parse` of each frame), about 20 % in @platformatic/kafka, about 17 % in Deno's runtime (WebSocket events, Node buffers, socket writes) and about 9 % in garbage collection, all on one thread; the bare socket shows what the WebSocket alone could carry. The 2 cores also run the broker's JVM and the stand-in, and they were shared with other work during these runs: single runs vary widely (see the runs above). The acknowledgement's own percentiles tell the publishing part of the frame-to-candle time from the candle side's.",
    "",
  ];
}
