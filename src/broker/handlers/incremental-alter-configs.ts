import { ErrorCode } from '../../protocol/error-codes.ts';
import { IncrementalAlterConfigsApi, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponseInput } from '../../protocol/messages/incremental-alter-configs.ts';
import type { ConfigOp } from '../../storage/log-manager.ts';
import { changeBrokerConfigs, requestShapeError, warnTopicConfigs } from '../broker-config-changes.ts';
import { toErrorCode } from '../errors.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { ResourceType } from './describe-configs.ts';
import { configResourceRefusal, Op } from '../authorize.ts';

const OPS: readonly ConfigOp[] = ['set', 'delete', 'append', 'subtract'];

/**
 * IncrementalAlterConfigs (44), v0–1: SET / DELETE / APPEND / SUBTRACT on single topic configs
 * (APPEND/SUBTRACT only on list configs such as cleanup.policy), all of a resource's changes applied
 * together or not at all. Broker resource ("" = cluster-wide, or this node's id): the same operations
 * on the dynamic settings Kafka allows at runtime, persisted and applied live (../broker-config-changes.ts).
 */
export const incrementalAlterConfigs: ApiHandler<typeof IncrementalAlterConfigsApi> = {
  api: IncrementalAlterConfigsApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(req: IncrementalAlterConfigsRequest, ctx: RequestContext): Promise<IncrementalAlterConfigsResponseInput> {
    const broker = ctx.broker;
    const responses = [];
    for (const r of req.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const refusal = configResourceRefusal(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName);
      if (refusal !== null) {
        responses.push({ ...base, errorCode: refusal, errorMessage: null });
        continue;
      }
      const badOp = r.configs.find((c) => OPS[c.configOperation] === undefined);
      if (badOp) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown operations type ${badOp.configOperation}` });
        continue;
      }
      const shape = requestShapeError(r.configs, (i) => OPS[r.configs[i]!.configOperation] === 'delete');
      if (shape) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: shape });
        continue;
      }
      if (r.resourceType === ResourceType.BROKER) {
        const changes = r.configs.map((c) => ({ name: c.name, op: OPS[c.configOperation]!, value: c.value }));
        responses.push({ ...base, ...(await changeBrokerConfigs(broker, r.resourceName, changes, req.validateOnly)) });
        continue;
      }
      if (r.resourceType !== ResourceType.TOPIC) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown resource type ${r.resourceType}` });
        continue;
      }
      try {
        const changes = r.configs.map((c) => ({ name: c.name, op: OPS[c.configOperation]!, value: c.value }));
        await broker.logs.alterTopicConfigs(r.resourceName, changes, { validateOnly: req.validateOnly });
        if (!req.validateOnly) warnTopicConfigs(broker, r.resourceName, r.configs.filter((c) => OPS[c.configOperation] === 'set'));
        responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        const e = toErrorCode(err, broker.logger, `altering configs of ${r.resourceName}`);
        responses.push({ ...base, errorCode: e.errorCode, errorMessage: e.message });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req: IncrementalAlterConfigsRequest, errorCode: number) {
    return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
};
