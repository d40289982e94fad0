/**
 * The instance's process id (Kafka 3.x): a UUID kept in `<state.dir>/<application.id>/kafka-streams-process-metadata`
 * so it is stable across restarts of the same instance. Under exactly_once_v2 it names the thread's
 * transactional id, so a restarted instance fences its killed predecessor at initTransactions() and its
 * open transaction is aborted at once instead of after transaction.timeout.ms.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const PROCESS_METADATA_FILE = "kafka-streams-process-metadata";

export function stableProcessId(stateDir: string, applicationId: string): string {
  const dir = join(stateDir, applicationId);
  const file = join(dir, PROCESS_METADATA_FILE);
  if (existsSync(file)) {
    try {
      const parsed = JSON.parse(readFileSync(file, "utf8")) as { processId?: unknown };
      if (typeof parsed.processId === "string" && parsed.processId.length > 0) return parsed.processId;
    } catch {
      // A torn write: fall through and make a new id.
    }
  }
  const processId = randomUUID();
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, JSON.stringify({ processId }) + "\n");
  return processId;
}

/** Kafka's EOS-v2 transactional.id: `<application.id>-<process id>-<thread index>`. */
export function eosTransactionalId(applicationId: string, processId: string, threadIndex: number): string {
  return `${applicationId}-${processId}-${threadIndex}`;
}
