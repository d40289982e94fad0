/**
 * Cluster mode: transaction markers reach every partition's leader (Kafka's
 * TransactionMarkerChannelManager). Partitions this broker leads get the marker from the local writer —
 * only as leader, acknowledged once the ISR holds it (Kafka appends markers with acks=-1); partitions
 * led elsewhere get a WriteTxnMarkers (27) request to their leader. Per-partition errors go back to the
 * marker sender, which drops, stops or retries as Kafka's completion handler does (a partition without
 * a leader, or a leader not answering, is retried).
 */
import { BrokerConnection } from '../client/broker-connection.ts';
import { PLAINTEXT, type ClientSecurity } from '../client/security.ts';
import { NO_LEADER } from '../cluster/metadata-store.ts';
import type { TransactionMarkerPartitionResult, TransactionMarkerRequest, TransactionMarkerWriter } from '../coordinator/transaction-marker-writer.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { WriteTxnMarkersApi } from '../protocol/messages/write-txn-markers.ts';
import type { ReplicaManager } from '../replication/replica-manager.ts';
import type { ClusterMode } from './cluster-mode.ts';
import type { MarkerReplication } from './local-transaction-markers.ts';
import type { Logger } from './logger.ts';

/** Leadership and acks=all for markers written to this broker's own partitions (cluster mode). */
export function clusterMarkerReplication(cluster: ClusterMode, replicas: ReplicaManager, timeoutMs: number): MarkerReplication {
  return {
    check: (topic, partition) => cluster.leaderCheck(topic, partition),
    async afterAppend(topic, partition, endOffset) {
      const state = replicas.partitionState(topic, partition);
      // A partition the replica manager never managed is served as on a single node.
      if (!state) return ErrorCode.NONE;
      return replicas.awaitReplication(state, endOffset, timeoutMs);
    },
  };
}

export class ClusterTransactionMarkerWriter implements TransactionMarkerWriter {
  readonly #cluster: ClusterMode;
  readonly #local: TransactionMarkerWriter;
  readonly #requestTimeoutMs: number;
  readonly #logger: Logger;
  readonly #security: ClientSecurity;

  /** `security`: the inter-broker listener's TLS/SASL (src/security/inter-broker.ts). */
  constructor(cluster: ClusterMode, local: TransactionMarkerWriter, requestTimeoutMs: number, logger: Logger, security: ClientSecurity = PLAINTEXT) {
    this.#security = security;
    this.#cluster = cluster;
    this.#local = local;
    this.#requestTimeoutMs = requestTimeoutMs;
    this.#logger = logger;
  }

  async writeMarkers(req: TransactionMarkerRequest): Promise<TransactionMarkerPartitionResult[]> {
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    const results: TransactionMarkerPartitionResult[] = [];
    for (const tp of req.partitions) {
      const state = this.#cluster.partition(tp.topic, tp.partition);
      // Not a cluster topic (a local-only one such as a single node's): the local writer decides.
      const leader = state ? state.leader : this.#cluster.nodeId;
      if (leader === NO_LEADER) {
        results.push({ ...tp, errorCode: ErrorCode.LEADER_NOT_AVAILABLE });
        continue;
      }
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(tp);
    }
    const parts = await Promise.all(
      [...byLeader].map(([leader, partitions]) => (leader === this.#cluster.nodeId ? this.#local.writeMarkers({ ...req, partitions }) : this.#remote(leader, req, partitions))),
    );
    return results.concat(...parts);
  }

  async #remote(leader: number, req: TransactionMarkerRequest, partitions: { topic: string; partition: number }[]): Promise<TransactionMarkerPartitionResult[]> {
    const endpoint = this.#cluster.endpoint(leader);
    if (!endpoint) return partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.LEADER_NOT_AVAILABLE }));
    const topics = new Map<string, number[]>();
    for (const tp of partitions) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
    let conn: BrokerConnection | undefined;
    try {
      conn = await BrokerConnection.open({
        host: endpoint.host,
        port: endpoint.port,
        nodeId: leader,
        clientId: `broker-${this.#cluster.nodeId}-txn-markers`,
        requestTimeoutMs: this.#requestTimeoutMs,
        security: this.#security,
      });
      const res = await conn.request(WriteTxnMarkersApi, {
        markers: [
          {
            producerId: req.producerId,
            producerEpoch: req.producerEpoch,
            transactionResult: req.result === 'commit',
            coordinatorEpoch: req.coordinatorEpoch,
            topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
          },
        ],
      });
      const answered = res.markers[0]?.topics ?? [];
      return partitions.map((tp) => ({
        ...tp,
        errorCode: answered.find((t) => t.name === tp.topic)?.partitions.find((p) => p.partitionIndex === tp.partition)?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR,
      }));
    } catch (err) {
      this.#logger.warn(`transaction markers to broker ${leader} failed: ${(err as Error).message}; retrying`);
      return partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.NETWORK_EXCEPTION }));
    } finally {
      conn?.close();
    }
  }
}
