/**
 * A consumer group's committed offsets, end offsets and lag on a topic (`deno task lag`), from
 * `@platformatic/kafka`'s admin client.
 *
 * @module
 */
import { Admin } from "@platformatic/kafka";
import type { KafkaConfig } from "../config/types.ts";
import { connectWithin, disconnectWithin } from "./connect.ts";
import { committedOffsets, partitionOffsets, topicPartitions } from "./platformatic_admin.ts";
import { clientOptions } from "./platformatic_options.ts";
import type { PartitionLag } from "./transport.ts";

/**
 * A consumer group's committed offsets, end offsets and lag on a topic.
 *
 * @param config Where and how to connect.
 * @param options The group and topic.
 * @returns One entry per partition, by partition.
 * @throws {Error} When the topic does not exist.
 */
export async function fetchLag(
  config: KafkaConfig,
  options: { group: string; topic: string },
): Promise<PartitionLag[]> {
  // Retries ride out a group coordinator that is still loading (a fresh broker).
  const admin = new Admin(clientOptions(config, { retries: 8 }));
  try {
    await connectWithin(config, {
      attempt: async () => {
        await admin.metadata({ topics: [], retries: 0 });
      },
    });
    const partitions = await topicPartitions(admin, options.topic);
    if (partitions === null) throw new Error(`Topic ${options.topic} does not exist`);
    const ends = await partitionOffsets(admin, options.topic, { partitions, at: "latest" });
    const starts = await partitionOffsets(admin, options.topic, { partitions, at: "earliest" });
    const committed = await committedOffsets(admin, { ...options, partitions });
    return partitions.map((partition) => {
      const end = ends.get(partition) ?? 0n;
      const start = starts.get(partition) ?? 0n;
      const at = committed.get(partition);
      const lag = end - (at ?? start);
      return {
        partition,
        committed: at === undefined ? null : at.toString(),
        end: end.toString(),
        start: start.toString(),
        lag: Number(lag < 0n ? 0n : lag),
      };
    });
  } finally {
    await disconnectWithin([{ disconnect: () => admin.close() }]);
  }
}
