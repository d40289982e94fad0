import { ErrorCode } from '../../protocol/error-codes.ts';
import { ProduceApi, type ProduceRequest, type ProduceResponseInput, type ProduceResponsePartitionResponsesInput, type ProduceResponseResponsesInput } from '../../protocol/messages/produce.ts';
import { validateProduceRecordsAsync } from '../../protocol/records/validate.ts';
import { CloseConnection } from '../connection.ts';
import { toErrorCode } from '../errors.ts';
import { upConvertLegacy } from '../legacy-produce.ts';
import type { ApiHandler, BrokerContext, RequestContext } from '../handler.ts';
import { findOrCreateTopic } from '../topics.ts';
import { ATTRIBUTES, MAGIC, TRANSACTIONAL_BIT } from '../../protocol/records/batch-header.ts';
import { allowed, allowedOnCluster, allowedTopics, Op, Res } from '../authorize.ts';

/**
 * Produce (0), v0–11. v3+ carry magic-2 batches, stored as sent; v0–2 carry legacy magic 0/1 message
 * sets, converted to one magic-2 batch first (see legacy-produce.ts for why those versions are served).
 *
 * Per partition, as Kafka's LogValidator does (guide §5): exactly one v2 batch (INVALID_RECORD
 * otherwise), CRC and record checks (CORRUPT_MESSAGE / INVALID_RECORD), zstd only from v7
 * (UNSUPPORTED_COMPRESSION_TYPE), max.message.bytes (MESSAGE_TOO_LARGE); then the partition log
 * assigns offsets and stamps leader epoch and maxTimestamp (LogAppendTime when the topic says so) in
 * place, and the idempotent-producer check runs inside its append. Partitions fail independently.
 *
 * acks: 1 and -1 (all) both answer once the append is durable per the fsync mode (single node: the
 * leader is the whole ISR). A partition the replica manager manages is appended only on its leader
 * (else NOT_LEADER_OR_FOLLOWER); acks=all is refused with NOT_ENOUGH_REPLICAS while the ISR is below
 * min.insync.replicas, and answered once the high watermark passes the batch (the ISR has it) —
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below the minimum meanwhile, REQUEST_TIMED_OUT
 * after the request's timeout (Kafka's DelayedProduce). 0 answers nothing, and — as Kafka does — an error closes the connection,
 * the only signal an acks=0 producer gets.
 */
export const produce: ApiHandler<typeof ProduceApi> = {
  api: ProduceApi,
  minVersion: 0,
  maxVersion: 11,
  async handle(req: ProduceRequest, ctx: RequestContext): Promise<ProduceResponseInput | null> {
    const broker = ctx.broker;
    const acks = req.acks;
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      return errorResponse(req, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1 (all), got ${acks}`);
    }
    // Authorization as KafkaApis: transactional records need WRITE on the transactional id (else the
    // whole request fails), each topic WRITE (TOPIC_AUTHORIZATION_FAILED whether it exists or not).
    if (hasTransactionalRecords(req) && (req.transactionalId === null || !allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId))) {
      return errorResponse(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactional Id authorization failed.');
    }
    const writable = allowedTopics(ctx, Op.WRITE, req.topicData.map((td) => td.name));
    // kstream also auto-creates on Produce (Kafka only on Metadata): with an authorizer that needs
    // CREATE, as Metadata's auto-creation does.
    const mayCreate = (name: string) => allowedOnCluster(ctx, Op.CREATE) || allowed(ctx, Op.CREATE, Res.TOPIC, name);
    const allowZstd = ctx.apiVersion >= 7;
    const legacy = ctx.apiVersion < 3;
    const pending: Promise<void>[] = [];
    const responses: ProduceResponseResponsesInput[] = [];
    for (const td of req.topicData) {
      const partitionResponses: ProduceResponsePartitionResponsesInput[] = [];
      responses.push({ name: td.name, partitionResponses });
      if (!writable.has(td.name)) {
        for (const pd of td.partitionData) partitionResponses.push(failed(pd.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.'));
        continue;
      }
      // Cluster mode: topics are created through the cluster (CreateTopics, Metadata), not by Produce.
      const found = await findOrCreateTopic(broker, td.name, !broker.cluster && (broker.logs.getTopic(td.name) !== undefined || mayCreate(td.name)));
      for (const pd of td.partitionData) {
        const out = failed(pd.index, ErrorCode.NONE, null);
        partitionResponses.push(out);
        const notLeader = broker.cluster?.leaderCheck(td.name, pd.index) ?? ErrorCode.NONE;
        if (notLeader !== ErrorCode.NONE) {
          Object.assign(out, failed(pd.index, notLeader, `this broker (${broker.nodeId}) is not the leader of ${td.name}-${pd.index}`));
          continue;
        }
        if (!found.topic) {
          Object.assign(out, failed(pd.index, found.errorCode, found.message));
          continue;
        }
        if (found.topic.internal) {
          // As Kafka: clients may not write to __consumer_offsets (the coordinator owns its records).
          Object.assign(out, failed(pd.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${td.name}`));
          continue;
        }
        const log = broker.logs.partition(td.name, pd.index);
        if (!log) {
          Object.assign(out, failed(pd.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${td.name} has no partition ${pd.index}`));
          continue;
        }
        const replica = broker.replicas?.partitionState(td.name, pd.index);
        if (replica && broker.replicas) {
          const code = broker.replicas.checkProduce(replica, acks);
          if (code !== ErrorCode.NONE) {
            Object.assign(out, failed(pd.index, code, code === ErrorCode.NOT_ENOUGH_REPLICAS ? `The size of the current ISR is below min.insync.replicas for ${td.name}-${pd.index}` : null));
            continue;
          }
        }
        const replicated = replica && broker.replicas && acks === -1 ? { replicas: broker.replicas, state: replica, timeoutMs: req.timeoutMs } : null;
        pending.push(appendOne(broker, log, pd.records, allowZstd, legacy, out, `${td.name}-${pd.index}`, replicated));
      }
    }
    await Promise.all(pending);
    const throttleTimeMs = applyQuotas(ctx, acks);
    if (acks === 0) {
      const bad = responses.flatMap((t) => t.partitionResponses.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => `${t.name}-${p.index}: ${p.errorMessage}`));
      if (bad.length > 0) throw new CloseConnection(`acks=0 produce failed (${bad.join('; ')})`);
      return null;
    }
    return { responses, throttleTimeMs };
  },
  errorResponse(req: ProduceRequest, errorCode: number) {
    return req.acks === 0 ? null : errorResponse(req, errorCode, 'internal error');
  },
};

/**
 * Client quotas, as KafkaApis.handleProduceRequest: the request's bytes against producer_byte_rate and
 * its time against request_percentage (not for acks=0, which has no response to carry it); the larger
 * throttle goes into the response and mutes the connection (KIP-219).
 */
function applyQuotas(ctx: RequestContext, acks: number): number {
  const quota = ctx.quota;
  if (quota === undefined) return 0;
  const bandwidth = quota.produceThrottleMs();
  let request = 0;
  if (acks === 0) quota.handled = true;
  else request = quota.requestThrottleMs();
  const ms = Math.max(bandwidth, request);
  quota.throttle(ms);
  return ms;
}

async function appendOne(
  broker: BrokerContext,
  log: NonNullable<ReturnType<BrokerContext['logs']['partition']>>,
  sent: Buffer | null,
  allowZstd: boolean,
  legacy: boolean,
  out: ProduceResponsePartitionResponsesInput,
  name: string,
  replicated: { replicas: NonNullable<BrokerContext['replicas']>; state: NonNullable<ReturnType<NonNullable<BrokerContext['replicas']>['partitionState']>>; timeoutMs: number } | null,
): Promise<void> {
  try {
    const records = legacy ? await upConvertLegacy(sent, broker.now()) : sent;
    const batch = await validateProduceRecordsAsync(records, { allowZstd });
    const r = await log.append(records!, { logAppendTime: log.config.logAppendTime, maxTimestamp: batch.maxTimestamp });
    out.baseOffset = BigInt(r.baseOffset);
    out.logAppendTimeMs = BigInt(r.logAppendTimeMs);
    out.logStartOffset = BigInt(r.logStartOffset);
    if (replicated) {
      const code = await replicated.replicas.awaitReplication(replicated.state, r.lastOffset + 1, replicated.timeoutMs);
      // As Kafka's DelayedProduce: the error is set on the append's answer (its offsets stay).
      if (code !== ErrorCode.NONE) out.errorCode = code;
    }
  } catch (err) {
    const { errorCode, message } = toErrorCode(err, broker.logger, `produce to ${name}`);
    Object.assign(out, failed(out.index, errorCode, message));
  }
}

/** Kafka's RequestUtils.hasTransactionalRecords: any partition's first (v2) batch has the transactional bit. */
function hasTransactionalRecords(req: ProduceRequest): boolean {
  for (const td of req.topicData) {
    for (const pd of td.partitionData) {
      const r = pd.records;
      if (r !== null && r.length > ATTRIBUTES + 1 && r[MAGIC] === 2 && (r.readInt16BE(ATTRIBUTES) & TRANSACTIONAL_BIT) !== 0) return true;
    }
  }
  return false;
}

function failed(index: number, errorCode: number, message: string | null): ProduceResponsePartitionResponsesInput {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: errorCode === ErrorCode.NONE ? null : message };
}

function errorResponse(req: ProduceRequest, errorCode: number, message: string): ProduceResponseInput {
  return {
    responses: req.topicData.map((td) => ({
      name: td.name,
      partitionResponses: td.partitionData.map((pd) => failed(pd.index, errorCode, message)),
    })),
    throttleTimeMs: 0,
  };
}
