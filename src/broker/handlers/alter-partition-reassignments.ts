import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  AlterPartitionReassignmentsApi,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponseInput,
} from '../../protocol/messages/alter-partition-reassignments.ts';
import { allowedOnCluster, Op } from '../authorize.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';

/**
 * AlterPartitionReassignments (45), v0 (KIP-455). Cluster mode: replicas = target + old while the new
 * replicas catch up, then the controller finishes it (src/cluster/reassignment.ts); null replicas
 * cancel (NO_REASSIGNMENT_IN_PROGRESS when there is none). Single node: the only possible target is
 * this broker, which already holds the replica; anything else is INVALID_REPLICA_ASSIGNMENT.
 *
 * Needs ALTER on the cluster (KafkaApis' authorizeClusterOperation): else the request's error
 * response, CLUSTER_AUTHORIZATION_FAILED at the top and on every partition.
 */
export const alterPartitionReassignments: ApiHandler<typeof AlterPartitionReassignmentsApi> = {
  api: AlterPartitionReassignmentsApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(req: AlterPartitionReassignmentsRequest, ctx: RequestContext): Promise<AlterPartitionReassignmentsResponseInput> {
    if (!allowedOnCluster(ctx, Op.ALTER)) return alterPartitionReassignments.errorResponse!(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ctx)!;
    const b = ctx.broker;
    const responses = [];
    for (const t of req.topics) {
      const partitions = [];
      for (const p of t.partitions) {
        let outcome: { errorCode: number; message: string | null };
        if (b.cluster) outcome = await b.cluster.alterReassignment(t.name, p.partitionIndex, p.replicas);
        else if (!b.logs.partition(t.name, p.partitionIndex)) outcome = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `${t.name}-${p.partitionIndex} does not exist` };
        else if (p.replicas === null) outcome = { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: 'No partition reassignment is in progress.' };
        else if (p.replicas.length === 1 && p.replicas[0] === b.nodeId) outcome = { errorCode: ErrorCode.NONE, message: null };
        else outcome = { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `a single-node broker can only hold replicas on broker ${b.nodeId}` };
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: outcome.errorCode, errorMessage: outcome.message });
      }
      responses.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
  errorResponse(req: AlterPartitionReassignmentsRequest, errorCode: number) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: null,
      responses: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage: null })) })),
    };
  },
};
