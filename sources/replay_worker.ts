/**
 * The replay worker (see `replay_file.ts`): reads the recording from where the replay stands,
 * checks each line, encodes it as the Encoder would and posts batches of UTF-8 bytes, one per
 * credit the main thread has given.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { MessageIds } from "../market/messages/message_ids.ts";
import { priceValue } from "../market/messages/price_message.ts";
import { parseReplayLine } from "./replay.ts";
import type { ReplayBatch, ReplayCommand, ReplayEvent } from "./replay_file.ts";

/**
 * Reads a recording's lines (UTF-8, `\n`-separated; a last line without `\n` counts), a
 * megabyte at a time, synchronously: for the replay worker, which has nothing else to do.
 *
 * @param path The file.
 * @returns Its lines, read as they are iterated.
 */
function* recordingLines(path: string): Generator<string> {
  const file = Deno.openSync(path);
  try {
    const bytes = new Uint8Array(1024 * 1024);
    const decoder = new TextDecoder();
    let rest = "";
    for (let read = file.readSync(bytes); read !== null; read = file.readSync(bytes)) {
      const lines = (rest + decoder.decode(bytes.subarray(0, read), { stream: true })).split("\n");
      rest = lines.pop()!;
      yield* lines;
    }
    rest += decoder.decode();
    if (rest !== "") yield rest;
  } finally {
    file.close();
  }
}

let credit = 0;
let wake: (() => void) | null = null;

async function post(event: ReplayEvent, transfer: Transferable[] = []): Promise<void> {
  while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
  credit--;
  self.postMessage(event, transfer);
}

const utf8 = new TextEncoder();

/** A batch being filled. */
class Builder {
  bytes = new Uint8Array(256 * 1024);
  used = 0;
  keys: string[] = [];
  prices: number[] = [];
  timestamps: number[] = [];
  ends: number[] = [];
  skipped: [number, string][] = [];
  line = 0;

  add(key: string, value: string, price: number, timestamp: number): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.used + value.length * 3 > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + value.length * 3));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    this.used += utf8.encodeInto(value, this.bytes.subarray(this.used)).written;
    this.keys.push(key);
    this.prices.push(price);
    this.timestamps.push(timestamp);
    this.ends.push(this.used);
  }

  get size(): number {
    return this.keys.length + this.skipped.length;
  }

  /** Posts the batch (when it holds anything) and empties the builder. */
  async flush(pass: number, ids: MessageIds): Promise<void> {
    if (this.size === 0) return;
    const batch: ReplayBatch = {
      kind: "batch",
      pass,
      skipped: this.skipped,
      keys: this.keys,
      prices: Float64Array.from(this.prices),
      timestamps: Float64Array.from(this.timestamps),
      ends: Uint32Array.from(this.ends),
      bytes: this.bytes.buffer as ArrayBuffer,
      line: this.line,
      stamps: ids.snapshot(),
    };
    const line = this.line;
    Object.assign(this, new Builder());
    this.line = line;
    await post(batch, [
      batch.bytes,
      batch.prices.buffer as ArrayBuffer,
      batch.timestamps.buffer as ArrayBuffer,
      batch.ends.buffer as ArrayBuffer,
    ]);
  }
}

async function replay(start: Extract<ReplayCommand, { kind: "start" }>): Promise<void> {
  const ids = new MessageIds(start.stamps);
  for (let pass = start.pass; pass <= start.passes; pass++) {
    const from = pass === start.pass ? start.line : 0;
    if (from === 0) await post({ kind: "pass", pass });
    const batch = new Builder();
    batch.line = from;
    let index = 0;
    for (const line of recordingLines(start.path)) {
      index++;
      if (index <= from) continue;
      if (line.trim() !== "") {
        const tick = parseReplayLine(line, pass, Date.now());
        if (typeof tick === "string") batch.skipped.push([index, tick]);
        else {
          const value = priceValue(tick, ids.next(tick.symbol, tick.fetchedAt));
          batch.add(tick.symbol, value, tick.priceUsd, tick.fetchedAt);
        }
      }
      batch.line = index;
      if (batch.size >= start.batchSize) await batch.flush(pass, ids);
    }
    await batch.flush(pass, ids);
    await post({ kind: "pass-end", pass });
  }
  await post({ kind: "done" });
}

self.onmessage = (e: MessageEvent<ReplayCommand>) => {
  const command = e.data;
  if (command.kind === "more") credit++;
  else {
    credit = command.credit;
    replay(command).catch((error) => {
      credit = Math.max(credit, 1);
      void post({ kind: "error", message: error instanceof Error ? error.message : String(error) });
    });
  }
  wake?.();
  wake = null;
};
