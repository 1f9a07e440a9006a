/**
 * `deno task candles` reading two topics of three partitions each, the same symbols on both
 * (prices on one, trades on the other, written by kafkajs, a client independent of the
 * program), killed with `kill -9` at random moments while both flow and started again: the table
 * it ends with equals the one an uninterrupted run makes of the same topics, and what an
 * independent computation gives. Writing one symbol must never commit a partition past another
 * symbol's unwritten record on it, or a kill loses that record.
 *
 * @module
 */
import assert from "node:assert/strict";
import { committedAll } from "../../faults/topic.ts";
import type { Interval } from "../../market/candle.ts";
import type { PriceMessage } from "../../market/messages/price_message.ts";
import type { TradeMessage } from "../../market/messages/trade_message.ts";
import { freshTopic, kafkaTest, TEST_BROKERS, testKafka } from "../support/broker.ts";
import {
  priceFromMessage,
  referenceCandles,
  referenceKey,
  tradeFromMessage,
} from "../support/candle_reference.ts";
import { candleTable } from "../support/candle_table.ts";
import { market, seeded } from "../support/prices.ts";
import { type RunningCommand, spawnCommand } from "../support/run.ts";
import { createTestDatabase } from "../support/services.ts";
import { close, until } from "../support/trades.ts";

const INTERVALS: Interval[] = ["1m", "5m"];
const SYMBOLS = ["BTC", "ETH", "SOL", "ADA", "XRP"];
const START = Math.floor(Date.now() / 3_600_000) * 3_600 - 2 * 3_600;
const MINUTES = 30;
/** Records written at once; one such write every `paceMs` (see `flow`). */
const PER_SEND = 8;
const KILLS_PER_SEED = 3;

/** Trades of the symbols over the minutes, in time order, each symbol's ids increasing. */
function trades(seed: number): TradeMessage[] {
  const rnd = seeded(seed);
  const out: TradeMessage[] = [];
  const price = new Map(SYMBOLS.map((s, i) => [s, 100 * (i + 1)]));
  const id = new Map(SYMBOLS.map((s) => [s, 1_000]));
  for (let ms = 0; ms < MINUTES * 60_000; ms += 250 + Math.floor(rnd() * 1_500)) {
    const symbol = SYMBOLS[Math.floor(rnd() * SYMBOLS.length)]!;
    const p = Math.round(price.get(symbol)! * (1 + (rnd() - 0.5) / 200) * 100) / 100;
    price.set(symbol, p);
    id.set(symbol, id.get(symbol)! + 1);
    // Never on a whole second, where a price of the symbol may be: a tie would make the open or
    // close depend on which topic is read first.
    const time = new Date(START * 1000 + ms + (ms % 1000 === 0 ? 1 : 0)).toISOString();
    out.push({
      symbol,
      product_id: `${symbol}-USD`,
      trade_id: id.get(symbol)!,
      price: p,
      size: Math.round((rnd() * 2 + 0.001) * 1e8) / 1e8,
      side: rnd() < 0.5 ? "buy" : "sell",
      time,
      sequence: null,
      received_at: time,
      source: "coinbase",
    });
  }
  return out;
}

/** Creates the two topics, three partitions each. */
async function createTopics(topics: string[]): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: topics.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
    });
    await until("the topics' leaders", async () => {
      const metadata = await admin.fetchTopicMetadata({ topics }).catch(() => null);
      return metadata !== null &&
        metadata.topics.every((t) =>
          t.partitions.length === 3 && t.partitions.every((p) => p.leader >= 0)
        );
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Writes the prices and trades in event-time order, a few records every `paceMs`, so that the
 * symbols' unwritten changes start at different moments and are written apart.
 */
async function flow(
  topics: { prices: string; trades: string },
  prices: readonly PriceMessage[],
  tradeList: readonly TradeMessage[],
  paceMs: number,
): Promise<void> {
  const timeline = [
    ...prices.map((p) => ({ at: p.last_updated! * 1000, topic: topics.prices, message: p })),
    ...tradeList.map((t) => ({ at: Date.parse(t.time), topic: topics.trades, message: t })),
  ].sort((a, b) => a.at - b.at);
  const producer = testKafka().producer();
  await producer.connect();
  try {
    for (let i = 0; i < timeline.length; i += PER_SEND) {
      const batch = timeline.slice(i, i + PER_SEND);
      await producer.sendBatch({
        acks: -1,
        topicMessages: [topics.prices, topics.trades].map((topic) => ({
          topic,
          messages: batch.filter((r) => r.topic === topic).map(({ message }) => ({
            key: message.symbol,
            value: JSON.stringify(message),
            headers: {
              "content-type": "application/json",
              schema: topic === topics.prices ? "crypto-price/v1" : "crypto-trade/v1",
            },
          })),
        })).filter((t) => t.messages.length > 0),
      });
      await new Promise((r) => setTimeout(r, paceMs));
    }
  } finally {
    await producer.disconnect();
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** One seed: a killed run and an uninterrupted one over the same two topics. */
async function killedAndUninterrupted(seed: number): Promise<void> {
  const rnd = seeded(seed);
  const prices = market({
    seed,
    symbols: SYMBOLS,
    start: START,
    minutes: MINUTES,
    disorderS: 30,
  });
  const tradeList = trades(seed + 1_000);
  const topics = {
    prices: freshTopic(`it-kill-prices-${seed}`),
    trades: freshTopic(`it-kill-trades-${seed}`),
  };
  await createTopics([topics.prices, topics.trades]);
  const killedDb = await createTestDatabase();
  const onceDb = await createTestDatabase();
  const candles = (group: string, url: string) =>
    spawnCommand("candles", {
      args: [
        "--topic",
        `${topics.prices},${topics.trades}`,
        "--group",
        group,
        "--store",
        url,
        "--intervals",
        INTERVALS.join(","),
        "--from-beginning",
        "--idle-timeout",
        "3600",
        // Each topic has its own consumer, so prices and trades of a symbol arrive in any
        // interleaving: no window closes within the flow, and every run makes the same table.
        "--out-of-orderness",
        "3600",
      ],
      env: {
        KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
        CANDLE_TOPIC: `${topics.prices}-candles`,
        ALERT_TOPIC: `${topics.prices}-alerts`,
      },
    });
  const committed = async (group: string) =>
    await committedAll(TEST_BROKERS, group, topics.prices) &&
    await committedAll(TEST_BROKERS, `${group}.${topics.trades}`, topics.trades);
  const assigned = new RegExp(
    [topics.prices, topics.trades].map((t) => `(?=[^]*Assigned partitions of ${escape(t)}: \\d)`)
      .join(""),
  );

  const killedGroup = freshTopic("g-killed");
  const onceGroup = freshTopic("g-once");
  const once = candles(onceGroup, onceDb.url);
  let run: RunningCommand = candles(killedGroup, killedDb.url);
  let kills = 0;
  try {
    const killing = (async () => {
      while (kills < KILLS_PER_SEED) {
        // Once it reads both topics and has caught up with them, at a random moment.
        await run.waitFor((_out, err) => assigned.test(err), 90_000);
        await new Promise((r) => setTimeout(r, 2_000 + rnd() * 4_000));
        run.kill("SIGKILL");
        await run.done;
        kills++;
        run = candles(killedGroup, killedDb.url);
      }
    })();
    await Promise.all([flow(topics, prices, tradeList, 120), killing]);
    await run.waitFor((_out, err) => assigned.test(err), 90_000);
    await until(`${killedGroup} to catch up`, () => committed(killedGroup), 180_000).catch(
      (error) => {
        throw new Error(`${error.message}; its output:\n${run.stdout()}\n${run.stderr()}`);
      },
    );
    // Only a hang is bounded, as for the killed run: on a loaded machine catching up takes minutes.
    await until(`${onceGroup} to catch up`, () => committed(onceGroup), 180_000).catch(
      (error) => {
        throw new Error(`${error.message}; its output:\n${once.stdout()}\n${once.stderr()}`);
      },
    );
  } finally {
    run.kill("SIGTERM");
    once.kill("SIGTERM");
  }
  try {
    for (const ended of [await run.done, await once.done]) {
      assert.equal(ended.code, 0, ended.stdout + ended.stderr);
    }
    assert.equal(kills, KILLS_PER_SEED);
    const reference = await candleTable(onceDb.url, INTERVALS);
    const table = await candleTable(killedDb.url, INTERVALS);
    // Every column equal; the VWAP to the last bits only, as a restart takes its sum of price ×
    // size back as VWAP × volume.
    const exact = ({ vwap: _vwap, ...fields }: (typeof table)[number]) => fields;
    assert.deepEqual(table.map(exact), reference.map(exact), `seed ${seed}`);
    table.forEach((c, i) => assert.ok(close(c.vwap, reference[i]!.vwap), `seed ${seed}: vwap`));

    // And the uninterrupted table is what an independent computation gives.
    const observations = [...prices.map(priceFromMessage), ...tradeList.map(tradeFromMessage)];
    const expected = referenceCandles(observations, INTERVALS);
    assert.equal(reference.length, expected.size);
    for (
      const { closed: _closed, revision, volume, buyVolume, sellVolume, vwap, ...fields }
        of reference
    ) {
      const want = expected.get(referenceKey(fields));
      assert.ok(want, `${referenceKey(fields)} unexpected`);
      const {
        volume: wantVolume,
        buyVolume: wantBuy,
        sellVolume: wantSell,
        vwap: wantVwap,
        ...wantFields
      } = want;
      assert.deepEqual(fields, wantFields);
      assert.ok(close(volume, wantVolume), `volume ${volume} against ${wantVolume}`);
      assert.ok(close(buyVolume, wantBuy), `buy volume ${buyVolume} against ${wantBuy}`);
      assert.ok(close(sellVolume, wantSell), `sell volume ${sellVolume} against ${wantSell}`);
      assert.ok(close(vwap, wantVwap), `vwap ${vwap} against ${wantVwap}`);
      assert.equal(revision, 0);
    }
  } finally {
    await killedDb.drop();
    await onceDb.drop();
  }
}

kafkaTest(
  "kill -9 of candles at random moments while prices and trades of the same symbols flow on two topics of three partitions, each followed by a restart, ends with the table of one uninterrupted run (two seeds)",
  async () => {
    await Promise.all([killedAndUninterrupted(31), killedAndUninterrupted(32)]);
  },
);
