import { ErrorCode } from '../../protocol/error-codes.ts';
import { FindCoordinatorApi, type FindCoordinatorResponseInput } from '../../protocol/messages/find-coordinator.ts';
import { coordinatorFor, GROUP_TOPIC, TRANSACTION_TOPIC } from '../coordinator-placement.ts';
import { ClusterMode } from '../cluster-mode.ts';
import { advertisedEndpoint, type ApiHandler, type RequestContext } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';

/** Key types: 0 = consumer group, 1 = transactional id, 2 = share group (v6+, not served). */
const GROUP = 0;
const TRANSACTION = 1;

/**
 * FindCoordinator (10). A single node is the coordinator of every group and transactional id, so
 * the broker answers with itself; in cluster mode the answer is the leader of the key's partition of
 * __consumer_offsets / __transaction_state (coordinator-placement.ts). v0–3 carry one key; v4+ a batch (Coordinators[]). librdkafka only
 * looks groups up when the range contains v0, so the range starts there.
 */
export const findCoordinator: ApiHandler<typeof FindCoordinatorApi> = {
  api: FindCoordinatorApi,
  minVersion: 0,
  maxVersion: 6,
  async handle(req, ctx) {
    const answer = async (key: string, keyType: number) => {
      const b = ctx.broker;
      if (keyType !== GROUP && keyType !== TRANSACTION) {
        return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `kstream does not serve coordinator key type ${keyType}` };
      }
      // DESCRIBE on the group / transactional id, as KafkaApis.
      if (keyType === GROUP && !allowed(ctx, Op.DESCRIBE, Res.GROUP, key)) {
        return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: 'Group authorization failed.' };
      }
      if (keyType === TRANSACTION && !allowed(ctx, Op.DESCRIBE, Res.TRANSACTIONAL_ID, key)) {
        return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: 'Transactional Id authorization failed.' };
      }
      if (b.cluster) {
        // Cluster mode: the leader of the key's partition of the internal topic (Kafka's partitionFor).
        const topic = keyType === GROUP ? GROUP_TOPIC : TRANSACTION_TOPIC;
        const rf = b.config.number(keyType === GROUP ? 'offsets.topic.replication.factor' : 'transaction.state.log.replication.factor');
        // __transaction_state carries min.insync.replicas = transaction.state.log.min.isr, as Kafka.
        const extra: Record<string, string> = keyType === TRANSACTION ? { 'min.insync.replicas': String(b.config.number('transaction.state.log.min.isr')) } : {};
        const found = await coordinatorFor(b.cluster, topic, key, rf, b.logs.getTopic(topic), extra);
        if (found.errorCode !== ErrorCode.NONE) return { key, nodeId: -1, host: '', port: -1, errorCode: found.errorCode, errorMessage: 'message' in found ? found.message : null };
        const c = 'broker' in found ? found.broker : null;
        return { key, nodeId: c!.nodeId, ...ClusterMode.addressFor(c!, ctx.connection.listener?.name), errorCode: ErrorCode.NONE, errorMessage: null };
      }
      if (!b.coordinator) return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };
      return { key, nodeId: b.nodeId, ...advertisedEndpoint(ctx), errorCode: ErrorCode.NONE, errorMessage: null };
    };
    if (ctx.apiVersion >= 4) {
      const coordinators = [];
      for (const k of req.coordinatorKeys) coordinators.push(await answer(k, req.keyType));
      return { throttleTimeMs: 0, coordinators };
    }
    const a = await answer(req.key, ctx.apiVersion === 0 ? GROUP : req.keyType);
    return single(ctx, a.errorCode, a.errorMessage, a.nodeId, a.host, a.port);
  },
  errorResponse(req, errorCode, ctx) {
    if (ctx.apiVersion >= 4) {
      return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })) };
    }
    return single(ctx, errorCode, null, -1, '', -1);
  },
};

function single(ctx: RequestContext, errorCode: number, errorMessage: string | null, nodeId: number, host: string, port: number): FindCoordinatorResponseInput {
  if (ctx.apiVersion === 0) return { errorCode, nodeId, host, port };
  return { throttleTimeMs: 0, errorCode, errorMessage, nodeId, host, port };
}
