import { ErrorCode } from '../../protocol/error-codes.ts';
import { AlterConfigsApi, type AlterConfigsRequest, type AlterConfigsResponseInput } from '../../protocol/messages/alter-configs.ts';
import { replaceBrokerConfigs, requestShapeError, warnTopicConfigs } from '../broker-config-changes.ts';
import { toErrorCode } from '../errors.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { ResourceType } from './describe-configs.ts';
import { configResourceRefusal, Op } from '../authorize.ts';

/**
 * AlterConfigs (33), v0–2, the legacy whole-set form: the given configs REPLACE all of a topic's
 * overrides (what is not listed goes back to its default), validated as a whole (INVALID_CONFIG).
 * Broker resource ("" = cluster-wide, or this node's id): the given dynamic settings replace that
 * layer's (../broker-config-changes.ts); settings Kafka cannot change at runtime answer INVALID_REQUEST.
 */
export const alterConfigs: ApiHandler<typeof AlterConfigsApi> = {
  api: AlterConfigsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(req: AlterConfigsRequest, ctx: RequestContext): Promise<AlterConfigsResponseInput> {
    const broker = ctx.broker;
    const responses = [];
    for (const r of req.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const refusal = configResourceRefusal(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName);
      if (refusal !== null) {
        responses.push({ ...base, errorCode: refusal, errorMessage: null });
        continue;
      }
      const shape = requestShapeError(r.configs, () => false);
      if (shape) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: shape });
        continue;
      }
      if (r.resourceType === ResourceType.BROKER) {
        const configs = Object.fromEntries(r.configs.map((c) => [c.name, c.value!]));
        responses.push({ ...base, ...(await replaceBrokerConfigs(broker, r.resourceName, configs, req.validateOnly)) });
        continue;
      }
      if (r.resourceType !== ResourceType.TOPIC) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown resource type ${r.resourceType}` });
        continue;
      }
      try {
        const configs = Object.fromEntries(r.configs.map((c) => [c.name, c.value!]));
        await broker.logs.replaceTopicConfigs(r.resourceName, configs, { validateOnly: req.validateOnly });
        if (!req.validateOnly) warnTopicConfigs(broker, r.resourceName, r.configs);
        responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        const e = toErrorCode(err, broker.logger, `altering configs of ${r.resourceName}`);
        responses.push({ ...base, errorCode: e.errorCode, errorMessage: e.message });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req: AlterConfigsRequest, errorCode: number) {
    return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
};
