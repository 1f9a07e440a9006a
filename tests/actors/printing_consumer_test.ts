import assert from "node:assert/strict";
import { flushBeforeCommit } from "../../actors/printing_consumer.ts";
import { bufferedOutput } from "../../runtime/buffered_output.ts";
import type { ConsumerTransport } from "../../kafka/transport.ts";

const decoder = new TextDecoder();

Deno.test("flushBeforeCommit() writes the gathered lines before the offsets are committed", async () => {
  const events: string[] = [];
  const output = bufferedOutput((bytes) => events.push(`write ${decoder.decode(bytes).trim()}`));
  const transport: ConsumerTransport = {
    connect: () => Promise.resolve(),
    consume: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    commit: (_topic, offsets) => {
      events.push(`commit ${offsets.map((o) => `${o.partition}:${o.offset}`).join(",")}`);
      return Promise.resolve();
    },
    disconnect: () => Promise.resolve(),
  };
  output.print("Message #1 - BTC $1.00");
  await flushBeforeCommit(transport, output.flush).commit("t", [{ partition: 0, offset: "1" }]);
  assert.deepEqual(events, ["write Message #1 - BTC $1.00", "commit 0:1"]);
});
