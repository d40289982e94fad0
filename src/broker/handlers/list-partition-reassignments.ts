import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  ListPartitionReassignmentsApi,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponseInput,
  type ListPartitionReassignmentsResponseTopicsInput,
} from '../../protocol/messages/list-partition-reassignments.ts';
import { allowedOnCluster, Op } from '../authorize.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';

/**
 * ListPartitionReassignments (46), v0: the reassignments in progress (null topics = all), each with
 * its replicas and the replicas being added and removed. A single node never has one.
 *
 * Needs DESCRIBE on the cluster (KafkaApis' authorizeClusterOperation): else the request's error
 * response, CLUSTER_AUTHORIZATION_FAILED with the requested partitions echoed back empty.
 */
export const listPartitionReassignments: ApiHandler<typeof ListPartitionReassignmentsApi> = {
  api: ListPartitionReassignmentsApi,
  minVersion: 0,
  maxVersion: 0,
  handle(req: ListPartitionReassignmentsRequest, ctx: RequestContext): ListPartitionReassignmentsResponseInput {
    if (!allowedOnCluster(ctx, Op.DESCRIBE)) return listPartitionReassignments.errorResponse!(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ctx)!;
    const all = ctx.broker.cluster?.reassignments() ?? [];
    const wanted = req.topics === null ? null : new Set(req.topics.flatMap((t) => t.partitionIndexes.map((p) => `${t.name}\0${p}`)));
    const byTopic = new Map<string, ListPartitionReassignmentsResponseTopicsInput>();
    for (const r of all) {
      if (wanted && !wanted.has(`${r.topic}\0${r.partition}`)) continue;
      let t = byTopic.get(r.topic);
      if (!t) byTopic.set(r.topic, (t = { name: r.topic, partitions: [] }));
      t.partitions.push({ partitionIndex: r.partition, replicas: r.replicas, addingReplicas: r.adding, removingReplicas: r.removing });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [...byTopic.values()] };
  },
  // As Kafka's ListPartitionReassignmentsRequest.getErrorResponse: each requested partition, empty.
  errorResponse(req: ListPartitionReassignmentsRequest, errorCode: number) {
    const topics = (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, replicas: [], addingReplicas: [], removingReplicas: [] })) }));
    return { throttleTimeMs: 0, errorCode, errorMessage: null, topics };
  },
};
