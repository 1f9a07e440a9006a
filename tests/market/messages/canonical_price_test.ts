import assert from "node:assert/strict";
import { isCanonicalPrice } from "../../../market/messages/price_message.ts";
import { priceLine } from "../../../bench/data.ts";
import { decodePriceRecord, rawRecord, tick, validRecord } from "../../support/consumer_records.ts";

const accepted = (value: string, key: string) => decodePriceRecord(rawRecord(0, 0, key, value)).ok;

/** A small deterministic random source, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
}

Deno.test("isCanonicalPrice() takes what the producer writes: prices large and small, nulls, any symbol", () => {
  const values: [string, string][] = [
    [validRecord(0, 0).value!, "BTC"],
    [validRecord(0, 0, { symbol: "SHIB", priceUsd: 0.00001234, volume24h: null }).value!, "SHIB"],
    [validRecord(0, 0, { change24h: -3.5, marketCap: null, lastUpdated: null }).value!, "BTC"],
    [validRecord(0, 0, { coinId: "café-coin", priceUsd: 12345678901234 }).value!, "BTC"],
  ];
  for (let i = 0; i < 600; i++) {
    const line = priceLine(i);
    values.push([line, JSON.parse(line).symbol]);
  }
  for (const [value, key] of values) {
    assert.ok(isCanonicalPrice(value, key), `not taken: ${value}`);
    assert.ok(accepted(value, key));
  }
});

Deno.test("isCanonicalPrice() takes nothing decodePrice refuses: edge cases and 20,000 mutations", () => {
  const base = validRecord(0, 0).value!;
  const edge: [string, string][] = [
    [base, "ETH"],
    [base, "BT"],
    [base, ""],
    [base.replace("45234.56", "0"), "BTC"],
    [base.replace("45234.56", "0.000"), "BTC"],
    [base.replace("45234.56", "-1"), "BTC"],
    [base.replace("45234.56", "1e400"), "BTC"],
    [base.replace("45234.56", "01"), "BTC"],
    [base.replace("45234.56", "1."), "BTC"],
    [base.replace("45234.56", ".5"), "BTC"],
    [base.replace("45234.56", "9".repeat(400)), "BTC"],
    [base.replace('"bitcoin"', '""'), "BTC"],
    [base.replace('"bitcoin"', '"bit\\"coin"'), "BTC"],
    [base.replace('"bitcoin"', '"bit\ncoin"'), "BTC"],
    [base.replace('"bitcoin"', "null"), "BTC"],
    [base.replace("2025-11-12T10:30:45.123Z", "yesterday"), "BTC"],
    [base.replace("2025-11-12T10:30:45.123Z", "2025-13-45T99:00:00Z"), "BTC"],
    [base.replace("2025-11-12T10:30:45.123Z", "2025-11-12T24:00:00.000Z"), "BTC"],
    [base.replace("2025-11-12T10:30:45.123Z", "2025-11-12T10:30:45Z"), "BTC"],
    [base.replace("2025-11-12T10:30:45.123Z", "+002025-11-12T10:30:45.123Z"), "BTC"],
    [base.replace(',"partition"', ""), "BTC"],
    [base.replace("}", ',"partition":1}'), "BTC"],
    [base.replace("}", " }"), "BTC"],
    [base + " ", "BTC"],
    [base.replace('"symbol":"BTC"', '"symbol":"BTC","symbol":"BTC"'), "BTC"],
    [JSON.stringify({ ...JSON.parse(base), volume_24h: "7" }), "BTC"],
    [JSON.stringify(tick()), "BTC"],
    ["", "BTC"],
    ["{}", "BTC"],
  ];
  for (const [value, key] of edge) {
    if (isCanonicalPrice(value, key)) assert.ok(accepted(value, key), `taken, but bad: ${value}`);
  }
  // Random edits of valid values: whatever the scan takes, decodePrice must take as well.
  const next = random(20_261_124);
  const alphabet = '0123456789.-e,:"\\{}[] nulABCZ\u00e9\u0001';
  let taken = 0;
  for (let n = 0; n < 20_000; n++) {
    let value = priceLine(n % 997);
    const key = JSON.parse(value).symbol as string;
    for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
      const at = Math.floor(next() * value.length);
      const char = alphabet[Math.floor(next() * alphabet.length)]!;
      const kind = next();
      value = kind < 0.4
        ? value.slice(0, at) + char + value.slice(at + 1)
        : kind < 0.7
        ? value.slice(0, at) + char + value.slice(at)
        : value.slice(0, at) + value.slice(at + 1);
    }
    if (isCanonicalPrice(value, key)) {
      taken++;
      assert.ok(accepted(value, key), `taken, but bad: ${value}`);
    }
  }
  // The edits leave some values valid (a digit for a digit): the scan must have taken them.
  assert.ok(taken > 1_000, `only ${taken} edited values taken`);
});

Deno.test("isCanonicalPrice() takes a time only in toISOString's form, and every such time parses", () => {
  const base = validRecord(0, 0).value!;
  for (const year of ["0000", "1970", "2025", "9999"]) {
    for (let month = 1; month <= 12; month++) {
      for (let day = 1; day <= 31; day++) {
        for (const time of ["00:00:00.000", "23:59:59.999"]) {
          const text = `${year}-${String(month).padStart(2, "0")}-${
            String(day).padStart(2, "0")
          }T${time}Z`;
          assert.ok(!Number.isNaN(Date.parse(text)), text);
          assert.ok(isCanonicalPrice(base.replace("2025-11-12T10:30:45.123Z", text), "BTC"), text);
        }
      }
    }
  }
  assert.ok(!isCanonicalPrice(base.replace("2025-11-12T10:30:45.123Z", "2025-11-12 10:30"), "BTC"));
});
