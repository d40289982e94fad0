import { ErrorCode } from '../../protocol/error-codes.ts';
import type { ProducerIdManager } from '../../coordinator/producer-ids.ts';
import { InitProducerIdApi, type InitProducerIdRequest, type InitProducerIdResponseInput } from '../../protocol/messages/init-producer-id.ts';
import type { ApiHandler } from '../handler.ts';


/**
 * InitProducerId (22) v0–5 for idempotent producers: a producer id never handed out before and
 * epoch 0; from v3 a client presenting its id/epoch gets the epoch bumped (KIP-360). Transactions
 * are not supported yet: a transactional id is refused with 53, which every client treats as fatal.
 */
export const initProducerId: ApiHandler<typeof InitProducerIdApi> = {
  api: InitProducerIdApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const ids = ctx.broker.producerIds as ProducerIdManager | undefined;
    if (!ids) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 };
    const v = ctx.apiVersion;
    const r = await ids.initProducerId({
      transactionalId: req.transactionalId,
      producerId: v >= 3 ? req.producerId : -1n,
      producerEpoch: v >= 3 ? req.producerEpoch : -1,
    });
    if (r.errorCode === ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) {
      ctx.broker.logger.warn(
        `InitProducerId from ${ctx.clientId ?? '?'} (${ctx.connection.remoteAddress}) with transactional.id ${JSON.stringify(req.transactionalId)} refused: kstream does not implement transactions yet`,
      );
    }
    return { throttleTimeMs: 0, errorCode: r.errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
};
