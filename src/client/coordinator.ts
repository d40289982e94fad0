import { ErrorCode } from '../protocol/error-codes.ts';
import { FindCoordinatorApi } from '../protocol/messages/find-coordinator.ts';
import { sleep, type Cluster } from './cluster.ts';
import type { BrokerConnection } from './broker-connection.ts';
import { KafkaError, isRetriable } from './errors.ts';

/**
 * FindCoordinator (API 10) for a consumer group (keyType 0) or a transactional id (keyType 1): v0–3 ask for one key, v4+ batch keys in
 * `coordinatorKeys` and answer in `coordinators[]`. Retries while the coordinator is loading.
 */
export async function findCoordinator(cluster: Cluster, groupId: string, attempts = 10, keyType: 0 | 1 = 0): Promise<BrokerConnection> {
  for (let attempt = 0; ; attempt++) {
    const conn = await cluster.anyConnection();
    const version = conn.negotiated(FindCoordinatorApi);
    const res = await conn.request(
      FindCoordinatorApi,
      version >= 4 ? { keyType, coordinatorKeys: [groupId] } : { key: groupId, keyType },
    );
    let code: number;
    let nodeId: number;
    let host: string;
    let port: number;
    let message: string | null;
    if (version >= 4) {
      const c = res.coordinators.find((x) => x.key === groupId) ?? res.coordinators[0];
      if (!c) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `FindCoordinator for group "${groupId}" returned no coordinator`);
      ({ errorCode: code, nodeId, host, port, errorMessage: message } = c);
    } else {
      ({ errorCode: code, nodeId, host, port, errorMessage: message } = res);
    }
    if (code === ErrorCode.NONE) {
      if (!cluster.brokers.has(nodeId)) cluster.brokers.set(nodeId, { nodeId, host, port, rack: null });
      return cluster.connectionTo(nodeId);
    }
    if (!isRetriable(code) || attempt >= attempts) throw new KafkaError(code, `FindCoordinator for group "${groupId}"`, message);
    await sleep(Math.min(100 * 2 ** attempt, 1000));
  }
}
