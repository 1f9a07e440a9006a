/**
 * Kept for store/postgres.ts and store/redis.ts, which import the candle's JSON form from here:
 * it is the candle message's, in `messages/candle_message.ts`, where new code imports it from.
 *
 * @module
 */
export { type CandleJson, candleJson } from "./messages/candle_message.ts";
