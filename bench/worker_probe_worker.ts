/**
 * The Worker side of `bench/worker_probe.ts`: decodes a batch packed by the main thread, checks
 * each value (`decodePrice`), makes the `--format json` line (`jsonLine`) and writes the batch
 * to /dev/null, then says how many it handled. Bench code only; the product never imports it.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { jsonLine } from "../report/consume_format.ts";
import { decodePrice } from "../market/messages/price_message.ts";
import type { InRecord } from "../kafka/transport.ts";

/** A batch as the main thread packs it (see `pack` in `bench/worker_probe.ts`). */
export interface PackedBatch {
  /** Offsets (Float64 × count), key and value lengths (Int32 × 2 × count, -1 for null), bytes. */
  buffer: ArrayBuffer;
  /** The partition. */
  partition: number;
  /** How many records. */
  count: number;
  /** Only acknowledge: measures the main thread's side alone. */
  noop: boolean;
}

const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder();
const encoder = new TextEncoder();
const devNull = Deno.openSync("/dev/null", { write: true });
let busyMs = 0;

function text(bytes: Uint8Array, bad: ("key" | "value")[], part: "key" | "value"): string {
  try {
    return strict.decode(bytes);
  } catch {
    bad.push(part);
    return lenient.decode(bytes);
  }
}

self.onmessage = (event: MessageEvent<PackedBatch>) => {
  const started = performance.now();
  const { buffer, partition, count, noop } = event.data;
  const offsets = new Float64Array(buffer, 0, count);
  if (!noop) {
    const lengths = new Int32Array(buffer, count * 8, count * 2);
    const bytes = new Uint8Array(buffer, count * 16);
    // One strict decode for the batch; when it is all ASCII, byte and character positions agree.
    let whole: string | null = null;
    try {
      whole = strict.decode(bytes);
      if (whole.length !== bytes.length) whole = null;
    } catch {
      whole = null;
    }
    const lines: string[] = [];
    let at = 0;
    for (let i = 0; i < count; i++) {
      const parts: (string | null)[] = [];
      const bad: ("key" | "value")[] = [];
      for (
        const [length, part] of [[lengths[2 * i]!, "key"], [lengths[2 * i + 1]!, "value"]] as [
          number,
          "key" | "value",
        ][]
      ) {
        if (length < 0) parts.push(null);
        else {
          parts.push(
            whole !== null
              ? whole.slice(at, at + length)
              : text(bytes.subarray(at, at + length), bad, part),
          );
          at += length;
        }
      }
      const record: InRecord = {
        topic: "",
        partition,
        offset: String(offsets[i]),
        key: parts[0]!,
        value: parts[1]!,
        headers: {},
      };
      if (bad.length > 0) record.notUtf8 = bad;
      const decoded = decodePrice(record.key, record.value, record.headers, record.notUtf8);
      if (decoded.ok) lines.push(jsonLine(decoded.message, record));
    }
    devNull.writeSync(encoder.encode(lines.join("\n") + "\n"));
  }
  busyMs += performance.now() - started;
  self.postMessage({ partition, count, busyMs });
};
