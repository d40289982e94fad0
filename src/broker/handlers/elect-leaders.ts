import { ErrorCode } from '../../protocol/error-codes.ts';
import { ElectLeadersApi, type ElectLeadersRequest, type ElectLeadersResponseInput, type ElectLeadersResponseReplicaElectionResultsInput } from '../../protocol/messages/elect-leaders.ts';
import { allowedOnCluster, Op } from '../authorize.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';

/**
 * ElectLeaders (43), v0–2 (KIP-183 preferred, KIP-460 unclean). Cluster mode: each partition's
 * election is a CAS on its partition epoch (src/cluster/reassignment.ts) with Kafka's per-partition
 * errors: ELECTION_NOT_NEEDED (the preferred replica already leads / a live leader exists for unclean),
 * PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION.
 * Null partitions = every partition, and then (as Kafka) the ones that needed no election are left
 * out of the answer. Single node: the one replica always leads, so every election is not needed.
 *
 * Needs ALTER on the cluster (KafkaApis): else CLUSTER_AUTHORIZATION_FAILED at the top (v1+) and on
 * every requested partition (none when all partitions were asked for).
 */
export const electLeaders: ApiHandler<typeof ElectLeadersApi> = {
  api: ElectLeadersApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(req: ElectLeadersRequest, ctx: RequestContext): Promise<ElectLeadersResponseInput> {
    if (!allowedOnCluster(ctx, Op.ALTER)) return electLeaders.errorResponse!(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ctx)!;
    const b = ctx.broker;
    const electionType = ctx.apiVersion >= 1 ? req.electionType : 0;
    const all = req.topicPartitions === null;
    const wanted: { topic: string; partitions: number[] }[] = all
      ? b.cluster
        ? b.cluster.listTopics().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitionCount }, (_, i) => i) }))
        : b.logs.listTopics().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitionCount }, (_, i) => i) }))
      : req.topicPartitions!;
    const results: ElectLeadersResponseReplicaElectionResultsInput[] = [];
    for (const w of wanted) {
      const partitionResult = [];
      for (const p of w.partitions) {
        let outcome: { errorCode: number; message: string | null };
        if (b.cluster) outcome = await b.cluster.electLeader(w.topic, p, electionType);
        else if (!b.logs.partition(w.topic, p)) outcome = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'The topic or partition does not exist.' };
        else outcome = { errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: 'Leader election not needed for topic partition.' };
        if (all && outcome.errorCode === ErrorCode.ELECTION_NOT_NEEDED) continue;
        partitionResult.push({ partitionId: p, errorCode: outcome.errorCode, errorMessage: outcome.message });
      }
      if (!all || partitionResult.length > 0) results.push({ topic: w.topic, partitionResult });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results };
  },
  errorResponse(req: ElectLeadersRequest, errorCode: number) {
    return {
      throttleTimeMs: 0,
      errorCode,
      replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage: null })) })),
    };
  },
};
