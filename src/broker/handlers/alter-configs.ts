import { ErrorCode } from '../../protocol/error-codes.ts';
import { AlterConfigsApi, type AlterConfigsRequest, type AlterConfigsResponseInput } from '../../protocol/messages/alter-configs.ts';
import { toErrorCode } from '../errors.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { ResourceType } from './describe-configs.ts';

/**
 * AlterConfigs (33), v0–2, the legacy whole-set form: the given configs REPLACE all of a topic's
 * overrides (what is not listed goes back to its default), validated as a whole (INVALID_CONFIG).
 * Broker settings are fixed at start-up: altering them answers INVALID_REQUEST naming --config.
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
      if (r.resourceType !== ResourceType.TOPIC) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: brokerReadOnlyMessage(r.resourceType) });
        continue;
      }
      const nulls = r.configs.filter((c) => c.value === null).map((c) => c.name);
      if (nulls.length > 0) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for topic configs: ${nulls.join(', ')}` });
        continue;
      }
      try {
        const configs = Object.fromEntries(r.configs.map((c) => [c.name, c.value!]));
        await broker.logs.replaceTopicConfigs(r.resourceName, configs, { validateOnly: req.validateOnly });
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

export function brokerReadOnlyMessage(resourceType: number): string {
  return resourceType === ResourceType.BROKER || resourceType === ResourceType.BROKER_LOGGER
    ? 'kstream broker settings cannot be changed at runtime: restart kstream serve with --config key=value'
    : `Unsupported resource type ${resourceType}`;
}
