/**
 * Kafka's StreamsResetter: with the application stopped, move its committed input offsets to the
 * beginning and delete its internal topics, printing what it does (or would do, on a dry run).
 */
import { Admin } from "../../client/admin.ts";
import type { Cluster } from "../../client/cluster.ts";

/** Kafka's rule for an application's internal topics. */
export function isInternalTopic(topic: string, applicationId: string): boolean {
  return topic.startsWith(`${applicationId}-`) && (topic.endsWith("-changelog") || topic.endsWith("-repartition"));
}

export async function resetApplication(cluster: Cluster, applicationId: string, inputTopics: string[], dryRun: boolean, print: (line: string) => void): Promise<void> {
  const admin = new Admin(cluster);
  const overview = await admin.describeGroup(applicationId).catch(() => null);
  if (overview && overview.members.length > 0) {
    throw new Error(`Consumer group ${applicationId} is still active: stop every instance of the application before resetting it`);
  }
  const suffix = dryRun ? " (dry run)" : "";
  if (inputTopics.length > 0) {
    const { state, plan } = await admin.planReset(applicationId, { type: "earliest" }, inputTopics);
    print(`Reset-offsets for input topics [${inputTopics.join(", ")}]${suffix}`);
    print("Following input topics offsets will be reset to (for consumer group " + applicationId + ")");
    for (const p of plan) print(`Topic: ${p.topic} Partition: ${p.partition} Offset: ${p.target}`);
    if (!dryRun) await admin.executeReset(applicationId, plan, state);
  } else {
    print("No input topics specified, skipping seeking to the beginning.");
  }
  const internal = (await admin.listTopics(false)).map((t) => t.name).filter((t) => isInternalTopic(t, applicationId)).sort();
  print(`Deleting inferred internal topics [${internal.join(", ")}]${suffix}`);
  for (const t of internal) print(`Topic: ${t}`);
  if (!dryRun && internal.length > 0) await admin.deleteTopics(internal);
  print("Done.");
}
