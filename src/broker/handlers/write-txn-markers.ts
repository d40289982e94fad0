import { ErrorCode } from '../../protocol/error-codes.ts';
import { WriteTxnMarkersApi, type WriteTxnMarkersRequest, type WriteTxnMarkersResponseInput } from '../../protocol/messages/write-txn-markers.ts';
import type { ApiHandler } from '../handler.ts';
import { LocalTransactionMarkerWriter } from '../local-transaction-markers.ts';
import { clusterMarkerReplication } from '../cluster-transaction-markers.ts';
import { allowedOnCluster, Op } from '../authorize.ts';

/**
 * WriteTxnMarkers (27) v0–1: writes commit/abort markers into this broker's partitions. Between brokers
 * it is how a transaction coordinator reaches partition leaders (the cluster issue); on one node its
 * client is `kafka-transactions.sh abort` / `kstream transactions abort`, which ends a *hanging*
 * transaction (data in a partition whose coordinator forgot it) so the LSO can move. Each partition
 * answers its own error code, as from the local marker writer (epoch older than the partition's →
 * INVALID_PRODUCER_EPOCH, unknown partition → UNKNOWN_TOPIC_OR_PARTITION).
 */
/** Kafka waits request.timeout.ms (30 s) for the ISR to hold the markers. */
const MARKER_REPLICATION_TIMEOUT_MS = 30_000;

export const writeTxnMarkers: ApiHandler<typeof WriteTxnMarkersApi> = {
  api: WriteTxnMarkersApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    // From a coordinator: CLUSTER_ACTION; from an admin aborting a hanging transaction: ALTER (KIP-664).
    if (!allowedOnCluster(ctx, Op.ALTER) && !allowedOnCluster(ctx, Op.CLUSTER_ACTION)) return writeTxnMarkers.errorResponse!(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ctx)!;
    const b = ctx.broker;
    // Cluster mode: only partitions this broker leads, acknowledged once the ISR holds the marker.
    const replication = b.cluster && b.replicas ? clusterMarkerReplication(b.cluster, b.replicas, MARKER_REPLICATION_TIMEOUT_MS) : undefined;
    const writer = new LocalTransactionMarkerWriter(b.logs, () => b.coordinator, b.now, b.logger, replication);
    const markers = [];
    for (const m of req.markers) {
      const results = await writer.writeMarkers({
        transactionalId: '',
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        coordinatorEpoch: m.coordinatorEpoch,
        result: m.transactionResult ? 'commit' : 'abort',
        partitions: m.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition }))),
      });
      markers.push({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: results.find((r) => r.topic === t.name && r.partition === p)!.errorCode })),
        })),
      });
    }
    return { markers };
  },
  errorResponse(req: WriteTxnMarkersRequest, errorCode): WriteTxnMarkersResponseInput {
    return {
      markers: req.markers.map((m) => ({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode })) })),
      })),
    };
  },
};
