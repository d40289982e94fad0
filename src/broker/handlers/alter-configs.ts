import { AlterConfigsApi, type AlterConfigsRequest, type AlterConfigsResponseInput } from '../../protocol/messages/alter-configs.ts';
import { allResourcesFailed, alterConfigResources } from '../alter-config-resources.ts';
import { replaceBrokerConfigs, requestShapeError, warnTopicConfigs } from '../broker-config-changes.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';

/**
 * AlterConfigs (33), v0–2, the legacy whole-set form: the given configs REPLACE all of a topic's
 * overrides (what is not listed goes back to its default), validated as a whole (INVALID_CONFIG).
 * Broker resource ("" = cluster-wide, or this node's id): the given dynamic settings replace that
 * layer's (../broker-config-changes.ts); settings Kafka cannot change at runtime answer INVALID_REQUEST.
 * The steps both AlterConfigs APIs share are in ../alter-config-resources.ts.
 */
export const alterConfigs: ApiHandler<typeof AlterConfigsApi> = {
  api: AlterConfigsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(req: AlterConfigsRequest, ctx: RequestContext): Promise<AlterConfigsResponseInput> {
    const broker = ctx.broker;
    const configsOf = (r: AlterConfigsRequest['resources'][number]) => Object.fromEntries(r.configs.map((c) => [c.name, c.value!]));
    const responses = await alterConfigResources(ctx, req.resources, {
      shapeError: (r) => requestShapeError(r.configs, () => false),
      broker: (r) => replaceBrokerConfigs(broker, r.resourceName, configsOf(r), req.validateOnly),
      async topic(r) {
        await broker.logs.replaceTopicConfigs(r.resourceName, configsOf(r), { validateOnly: req.validateOnly });
        if (!req.validateOnly) warnTopicConfigs(broker, r.resourceName, r.configs);
      },
    });
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req: AlterConfigsRequest, errorCode: number) {
    return allResourcesFailed(req.resources, errorCode);
  },
};
