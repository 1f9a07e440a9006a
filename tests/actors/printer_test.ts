import assert from "node:assert/strict";
import { CommitTracker } from "../../actors/commit_tracker.ts";
import { ConsumeReport } from "../../report/consume_report.ts";
import type { OutputFormat } from "../../report/consume_format.ts";
import { printer, type PrinterOptions } from "../../actors/printer.ts";
import { encodeDeadLetter } from "../../market/messages/dead_letter_message.ts";
import type { InRecord } from "../../kafka/transport.ts";
import { noOutbox } from "../../runtime/actor.ts";
import { Channel } from "../../runtime/channel.ts";
import { Supervisor } from "../../runtime/supervisor.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { FakeCommits, rawRecord, validRecord, validValue } from "../support/consumer_records.ts";

interface Run {
  out: string[];
  report: ConsumeReport;
  tracker: CommitTracker;
  inbox: Channel<InRecord>;
  limits: number;
}

/**
 * Runs the Printer over `records` through a Channel inbox. The inbox is closed after the records
 * unless `keepOpen`, in which case the Printer must end by itself (at its limit).
 */
async function runPrinter(
  records: readonly InRecord[],
  options: Partial<Pick<PrinterOptions, "filter" | "maxMessages" | "deadLetters" | "now">> & {
    format?: OutputFormat;
    keepOpen?: boolean;
  } = {},
): Promise<Run> {
  const run: Run = {
    out: [],
    report: new ConsumeReport(),
    tracker: new CommitTracker(),
    inbox: new Channel<InRecord>(records.length + 1, { name: "records" }),
    limits: 0,
  };
  for (const record of records) await run.inbox.send(record);
  if (!options.keepOpen) run.inbox.close();
  const actor = printer({
    format: options.format ?? "line",
    filter: options.filter ?? null,
    print: (text) => run.out.push(text),
    report: run.report,
    tracker: run.tracker,
    maxMessages: options.maxMessages ?? null,
    onLimit: () => run.limits++,
    ...(options.deadLetters === undefined ? {} : { deadLetters: options.deadLetters }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const controller = new AbortController();
  await actor(run.inbox, noOutbox, { name: "printer", signal: controller.signal, attempt: 0 });
  return run;
}

const RULE = "=".repeat(70);

// --- formats ---------------------------------------------------------------------------------

Deno.test("printer() pretty prints the pretty block for a message", async () => {
  const { out, report } = await runPrinter([validRecord(1, 0)], { format: "pretty" });

  const block = [
    RULE,
    "Message #1",
    RULE,
    "Symbol:          BTC",
    "Price:           $45,234.56",
    "24h Volume:      $28,456,789,012",
    "24h Change:      +2.34%",
    "Timestamp:       2025-11-12T10:30:45.123Z",
    "Partition:       1",
    "Offset:          0",
    RULE,
  ].join("\n");
  // One print per message: a blank separator line, then exactly the block.
  assert.deepEqual(out, [`\n${block}`]);
  assert.equal(report.printed, 1);
});

Deno.test("printer() pretty pads every label to 17 characters and rules to 70", async () => {
  const { out } = await runPrinter([validRecord(2, 41)], { format: "pretty" });
  const lines = out[0]!.split("\n").filter((l) => l !== "");
  const rules = lines.filter((l) => l.startsWith("="));
  assert.equal(rules.length, 3);
  for (const rule of rules) assert.equal(rule, RULE);
  const labelled = lines.filter((l) => !l.startsWith("=") && !l.startsWith("Message #"));
  assert.equal(labelled.length, 7);
  for (const line of labelled) assert.match(line, /^[A-Za-z0-9 ]+:\s+\S/, line);
  for (const line of labelled) assert.equal(line.search(/(?<=: +)\S/), 17, line);
});

Deno.test("printer() line prints 'Message #n - SYMBOL $price'", async () => {
  const { out } = await runPrinter([
    validRecord(1, 0),
    validRecord(0, 0, { symbol: "ETH", coinId: "ethereum", priceUsd: 3198.23 }),
  ]);
  assert.deepEqual(out, ["Message #1 - BTC $45,234.56", "Message #2 - ETH $3,198.23"]);
});

Deno.test("printer() json prints one line: the message value plus numeric partition and offset", async () => {
  const record = validRecord(1, 12);
  const { out } = await runPrinter([record], { format: "json" });

  assert.equal(out.length, 1);
  assert.doesNotMatch(out[0]!, /\n/);
  assert.deepEqual(JSON.parse(out[0]!), { ...JSON.parse(record.value!), partition: 1, offset: 12 });
});

Deno.test("printer() json keeps unknown extra fields of the value and adds nothing else", async () => {
  const value = { ...validValue(), source: "replay" };
  const { out } = await runPrinter([rawRecord(0, 3, "BTC", JSON.stringify(value))], {
    format: "json",
  });
  assert.deepEqual(JSON.parse(out[0]!), { ...value, partition: 0, offset: 3 });
});

Deno.test("printer() shows a price below $1 with six significant digits", async () => {
  const shib = { symbol: "SHIB", coinId: "shiba-inu", priceUsd: 0.000012345 };
  const { out } = await runPrinter([validRecord(0, 0, shib)]);
  assert.deepEqual(out, ["Message #1 - SHIB $0.000012345"]);

  const pretty = await runPrinter([validRecord(0, 0, shib)], { format: "pretty" });
  assert.ok(pretty.out[0]!.includes("\nPrice:           $0.000012345\n"), pretty.out[0]);
});

Deno.test("printer() pretty shows a negative 24h change with its sign and two decimals", async () => {
  const { out } = await runPrinter([validRecord(0, 0, { change24h: -1.5 })], { format: "pretty" });
  assert.ok(out[0]!.includes("\n24h Change:      -1.50%\n"), out[0]);
});

Deno.test("printer() pretty shows an unknown volume and change as n/a", async () => {
  const { out } = await runPrinter([validRecord(0, 0, { volume24h: null, change24h: null })], {
    format: "pretty",
  });
  assert.ok(out[0]!.includes("\n24h Volume:      n/a\n24h Change:      n/a\n"), out[0]);
});

// --- filter ----------------------------------------------------------------------------------

Deno.test("printer() with a filter prints only those symbols and numbers printed messages only", async () => {
  const eth = { symbol: "ETH", coinId: "ethereum", priceUsd: 3198.23 };
  const sol = { symbol: "SOL", coinId: "solana", priceUsd: 142.5 };
  const { out, report, tracker } = await runPrinter([
    validRecord(0, 0, eth),
    validRecord(0, 1),
    validRecord(1, 0, sol),
    validRecord(1, 1, eth),
    validRecord(0, 2, { priceUsd: 45300 }),
    validRecord(0, 3, sol),
  ], { filter: new Set(["BTC"]) });

  assert.deepEqual(out, ["Message #1 - BTC $45,234.56", "Message #2 - BTC $45,300.00"]);
  assert.equal(report.printed, 2);
  assert.equal(report.filtered, 4);
  assert.equal(report.bad, 0);
  assert.equal(tracker.handled, 6);
});

Deno.test("printer() marks filtered-out records handled, so their offsets are committed", async () => {
  const eth = { symbol: "ETH", coinId: "ethereum", priceUsd: 3198.23 };
  const { tracker } = await runPrinter([
    validRecord(0, 0),
    validRecord(0, 1, eth),
    validRecord(2, 7, eth),
  ], { filter: new Set(["BTC"]) });

  assert.equal(tracker.position(0), 2n);
  assert.equal(tracker.position(2), 8n);
  const transport = new FakeCommits();
  assert.equal(await tracker.flush(transport, "crypto-prices"), true);
  assert.deepEqual(transport.committed.flat().sort((a, b) => a.partition - b.partition), [
    { partition: 0, offset: "2" },
    { partition: 2, offset: "8" },
  ]);
});

Deno.test("printer() with several symbols in the filter lets each of them through", async () => {
  const eth = { symbol: "ETH", coinId: "ethereum", priceUsd: 3198.23 };
  const sol = { symbol: "SOL", coinId: "solana", priceUsd: 142.5 };
  const { out } = await runPrinter([
    validRecord(0, 0, sol),
    validRecord(0, 1, eth),
    validRecord(0, 2),
  ], {
    filter: new Set(["BTC", "ETH"]),
  });
  assert.deepEqual(out, ["Message #1 - ETH $3,198.23", "Message #2 - BTC $45,234.56"]);
});

// --- bad records -----------------------------------------------------------------------------

Deno.test("printer() skips, counts and marks handled every kind of bad record, printing the valid ones in order", async () => {
  const without = (field: string) => {
    const value = validValue();
    delete value[field];
    return JSON.stringify(value);
  };
  const withField = (field: string, v: unknown) => JSON.stringify({ ...validValue(), [field]: v });
  const ok = JSON.stringify(validValue());
  const bad: [string | null, string | null][] = [
    ["BTC", "{not json"],
    ["BTC", "[1]"],
    ["BTC", '"x"'],
    ["BTC", "null"],
    ["BTC", "42"],
    ["BTC", without("price_usd")],
    ["BTC", without("timestamp")],
    ["BTC", withField("price_usd", "1")],
    ["BTC", withField("price_usd", 0)],
    ["BTC", withField("price_usd", -3)],
    ["BTC", withField("volume_24h", "lots")],
    ["BTC", withField("symbol", 7)],
    ["BTC", ""],
    ["BTC", null],
    [null, ok],
    ["ETH", ok],
    ["BTC", "garbage ".repeat(196_608)], // 1.5 MiB
  ];

  // valid, bad, valid, bad, … on partition 0, ending with a bad one; plus one of each on partition 2.
  const records: InRecord[] = [];
  let offset = 0;
  bad.forEach(([key, value], i) => {
    records.push(validRecord(0, offset++, { priceUsd: 1000 + i }));
    records.push(rawRecord(0, offset++, key, value));
  });
  records.push(rawRecord(2, 0, "BTC", "{"));
  records.push(validRecord(2, 1, { symbol: "ETH", coinId: "ethereum", priceUsd: 3198.23 }));

  const { out, report, tracker } = await runPrinter(records);

  assert.deepEqual(out, [
    ...bad.map((_, i) => `Message #${i + 1} - BTC $${(1000 + i).toLocaleString("en-US")}.00`),
    `Message #${bad.length + 1} - ETH $3,198.23`,
  ]);
  assert.equal(report.bad, bad.length + 1);
  assert.equal(report.printed, bad.length + 1);
  assert.equal(report.filtered, 0);
  assert.equal(tracker.handled, records.length);
  assert.equal(tracker.position(0), BigInt(offset), "past the last (bad) record of partition 0");
  assert.equal(tracker.position(2), 2n);
});

Deno.test("printer() counts a bad record that would pass the filter's symbol as bad, not filtered", async () => {
  const value = JSON.stringify({ ...validValue(), price_usd: "45234.56" });
  const { out, report, tracker } = await runPrinter([rawRecord(0, 0, "BTC", value)], {
    filter: new Set(["BTC"]),
  });
  assert.deepEqual(out, []);
  assert.equal(report.bad, 1);
  assert.equal(report.filtered, 0);
  assert.equal(tracker.position(0), 1n);
});

// --- maxMessages -----------------------------------------------------------------------------

Deno.test("printer() with maxMessages 2 prints exactly 2, calls onLimit once and returns", async () => {
  const eth = { symbol: "ETH", coinId: "ethereum", priceUsd: 3198.23 };
  const { out, report, tracker, inbox, limits } = await runPrinter([
    validRecord(0, 0),
    rawRecord(0, 1, "BTC", "oops"),
    validRecord(0, 2, eth),
    validRecord(0, 3),
    validRecord(1, 0),
  ], { maxMessages: 2, keepOpen: true });

  assert.deepEqual(out, ["Message #1 - BTC $45,234.56", "Message #2 - ETH $3,198.23"]);
  assert.equal(limits, 1);
  assert.equal(report.printed, 2);
  assert.equal(report.bad, 1);
  assert.equal(tracker.position(0), 3n, "just past the 2nd printed record, not past later ones");
  assert.equal(tracker.position(1), null);
  assert.equal(inbox.size, 2, "later records are left unread");
});

Deno.test("printer() with maxMessages counts only printed messages, not filtered or bad ones", async () => {
  const eth = { symbol: "ETH", coinId: "ethereum", priceUsd: 3198.23 };
  const { out, tracker, limits } = await runPrinter([
    validRecord(0, 0, eth),
    validRecord(0, 1),
    rawRecord(0, 2, null, "x"),
    validRecord(0, 3, eth),
    validRecord(0, 4),
    validRecord(0, 5),
  ], { maxMessages: 2, filter: new Set(["BTC"]), keepOpen: true });

  assert.deepEqual(out, ["Message #1 - BTC $45,234.56", "Message #2 - BTC $45,234.56"]);
  assert.equal(limits, 1);
  assert.equal(tracker.position(0), 5n);
});

Deno.test("printer() with fewer messages than maxMessages prints them all and never calls onLimit", async () => {
  const { out, limits } = await runPrinter([validRecord(0, 0)], { maxMessages: 2 });
  assert.deepEqual(out, ["Message #1 - BTC $45,234.56"]);
  assert.equal(limits, 0);
});

// --- under a Supervisor ----------------------------------------------------------------------

/** Runs a printer over `records` under a supervisor; `failAt` makes that print throw, once. */
async function printUnderSupervisor(
  records: InRecord[],
  format: "line" | "json",
  failAt: number,
): Promise<{ out: string[]; report: ConsumeReport; tracker: CommitTracker; restarts: number }> {
  const inbox = new Channel<InRecord>(10, { name: "records" });
  for (const record of records) await inbox.send(record);
  inbox.close();
  const out: string[] = [];
  let prints = 0;
  const report = new ConsumeReport();
  const tracker = new CommitTracker();
  const supervisor = new Supervisor([{
    name: "printer",
    inbox,
    restart: "transient",
    actor: printer({
      format,
      filter: null,
      print: (text) => {
        if (++prints === failAt) throw new Error("stdout is busy");
        out.push(text);
      },
      report,
      tracker,
      maxMessages: null,
    }),
  }], { clock: new FakeClock(), random: () => 0 });
  await supervisor.run();
  return { out, report, tracker, restarts: supervisor.restarts.printer ?? 0 };
}

Deno.test("printer() under a Supervisor: a failed print is retried after the restart, numbered once", async () => {
  const eth = { symbol: "ETH", coinId: "ethereum", priceUsd: 3198.23 };
  const records = [validRecord(0, 0), validRecord(0, 1, eth), validRecord(0, 2)];
  const { out, report, tracker, restarts } = await printUnderSupervisor(records, "line", 1);

  assert.equal(restarts, 1);
  assert.deepEqual(out, [
    "Message #1 - BTC $45,234.56",
    "Message #2 - ETH $3,198.23",
    "Message #3 - BTC $45,234.56",
  ]);
  assert.equal(report.printed, 3);
  assert.equal(tracker.position(0), 3n);
});

Deno.test("printer() under a Supervisor: a crash in the middle of a batch prints nothing twice", async () => {
  // The third print fails once, with all five records taken in one batch.
  const records = [0, 1, 2, 3, 4].map((offset) => validRecord(0, offset));
  const { out, report, tracker, restarts } = await printUnderSupervisor(records, "json", 3);

  assert.equal(restarts, 1);
  assert.deepEqual(out.map((line) => JSON.parse(line).offset), [0, 1, 2, 3, 4]);
  assert.equal(report.printed, 5);
  assert.equal(tracker.position(0), 5n);
});

Deno.test("printer() under a Supervisor: onLimit stopping the supervisor ends the run", async () => {
  const inbox = new Channel<InRecord>(10, { name: "records" });
  for (let offset = 0; offset < 5; offset++) await inbox.send(validRecord(0, offset));
  const out: string[] = [];
  const report = new ConsumeReport();
  const tracker = new CommitTracker();
  let supervisor: Supervisor | null = null;
  supervisor = new Supervisor([{
    name: "printer",
    inbox,
    restart: "transient",
    actor: printer({
      format: "line",
      filter: null,
      print: (text) => out.push(text),
      report,
      tracker,
      maxMessages: 3,
      onLimit: () => void supervisor?.stop(),
    }),
  }], { clock: new FakeClock() });
  await supervisor.run();

  assert.equal(out.length, 3);
  assert.equal(report.printed, 3);
  assert.equal(tracker.position(0), 3n);
});

// --- checks at the door and dead letters ------------------------------------------------------

Deno.test("printer() skips and reports a price whose event time is beyond CANDLE_MAX_AHEAD of its clock", async () => {
  const record = validRecord(0, 4);
  // The record's last_updated is 2023-11-13: read in 2023-11-13, it is fine; read in 2023-11-12, ahead.
  const late = await runPrinter([record], { now: () => Date.UTC(2023, 10, 13, 12) });
  assert.equal(late.out.length, 1);
  const early = await runPrinter([record], { now: () => Date.UTC(2023, 10, 12) });
  assert.deepEqual(early.out, []);
  assert.equal(early.report.bad, 1);
  assert.equal(early.tracker.position(0), 5n, "committed all the same");
});

Deno.test("printer() on the dead-letter topic shows each dead letter with its reason, and skips a record that is none", async () => {
  const letter = encodeDeadLetter({
    topic: "crypto-prices",
    partition: 2,
    offset: "17",
    reason: 'symbol is "<img src=x>", expected 1-15 upper-case letters and digits',
    at: Date.UTC(2026, 0, 1),
    key: "<img src=x>",
    value: '{"symbol":"<img src=x>"}',
    headers: { schema: "crypto-price/v1" },
  });
  const dead: InRecord = {
    topic: "crypto-dlq",
    partition: 0,
    offset: "3",
    key: letter.key,
    value: letter.value,
    headers: letter.headers,
  };
  const plain = { ...validRecord(0, 4), topic: "crypto-dlq" };
  const line = await runPrinter([dead, plain], { deadLetters: true });
  assert.deepEqual(line.out, [
    'Dead letter #1 - crypto-prices 2/17: symbol is "<img src=x>", expected 1-15 upper-case letters and digits',
  ]);
  assert.equal(line.report.bad, 1, "a record without the dlq headers is reported");
  const json = await runPrinter([dead], { deadLetters: true, format: "json" });
  const shown = JSON.parse(json.out[0]!);
  assert.equal(shown.dead_letter.reason, letter.headers["dlq.reason"]);
  assert.deepEqual([shown.partition, shown.offset, shown.key], [0, 3, "<img src=x>"]);
});
