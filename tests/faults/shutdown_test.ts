import { shutdown } from "../../faults/shutdown.ts";
import { kafkaTest } from "../support/broker.ts";
import { runQuickScenario } from "../support/faults.ts";

kafkaTest(
  "shutdown: SIGINT and SIGTERM during a fetch and during a rebalance exit 0 and lose nothing",
  async () => {
    await runQuickScenario(shutdown);
  },
);
