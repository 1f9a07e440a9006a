import assert from "node:assert/strict";
import { encoder } from "../../actors/encoder.ts";
import { MessageIds } from "../../market/messages/message_ids.ts";
import type { EncodedPrice } from "../../market/messages/price_message.ts";
import type { PriceTick } from "../../market/price_tick.ts";
import { Channel } from "../../runtime/channel.ts";
import { tick } from "../support/consumer_records.ts";

Deno.test("encoder() encodes every tick in order with unique message ids, and ends with its inbox", async () => {
  const inbox = new Channel<PriceTick>(10);
  const outbox = new Channel<EncodedPrice>(10);
  for (let i = 0; i < 3; i++) {
    await inbox.send(tick({ cycle: i + 1 }));
    await inbox.send(tick({ symbol: "ETH", coinId: "ethereum", cycle: i + 1 }));
  }
  inbox.close();

  await encoder(new MessageIds())(inbox, outbox, {
    name: "encoder",
    signal: new AbortController().signal,
    attempt: 0,
  });
  outbox.close();
  const encoded: EncodedPrice[] = [];
  for await (const message of outbox) encoded.push(message);

  assert.deepEqual(
    encoded.map((m) => `${m.tick.cycle}:${m.key}`),
    ["1:BTC", "1:ETH", "2:BTC", "2:ETH", "3:BTC", "3:ETH"],
  );
  const ids = encoded.map((m) => JSON.parse(m.value as string).message_id as string);
  assert.equal(new Set(ids).size, 6);
  for (const [i, id] of ids.entries()) assert.ok(id.startsWith(`${encoded[i]!.key}-`), id);
});
