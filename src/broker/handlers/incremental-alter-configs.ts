import { IncrementalAlterConfigsApi, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponseInput } from '../../protocol/messages/incremental-alter-configs.ts';
import type { ConfigOp } from '../../storage/log-manager.ts';
import { allResourcesFailed, alterConfigResources } from '../alter-config-resources.ts';
import { changeBrokerConfigs, requestShapeError, warnTopicConfigs } from '../broker-config-changes.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';

const OPS: readonly ConfigOp[] = ['set', 'delete', 'append', 'subtract'];

/**
 * IncrementalAlterConfigs (44), v0–1: SET / DELETE / APPEND / SUBTRACT on single topic configs
 * (APPEND/SUBTRACT only on list configs such as cleanup.policy), all of a resource's changes applied
 * together or not at all. Broker resource ("" = cluster-wide, or this node's id): the same operations
 * on the dynamic settings Kafka allows at runtime, persisted and applied live (../broker-config-changes.ts).
 * The steps both AlterConfigs APIs share are in ../alter-config-resources.ts.
 */
export const incrementalAlterConfigs: ApiHandler<typeof IncrementalAlterConfigsApi> = {
  api: IncrementalAlterConfigsApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(req: IncrementalAlterConfigsRequest, ctx: RequestContext): Promise<IncrementalAlterConfigsResponseInput> {
    const broker = ctx.broker;
    const changesOf = (r: IncrementalAlterConfigsRequest['resources'][number]) => r.configs.map((c) => ({ name: c.name, op: OPS[c.configOperation]!, value: c.value }));
    const responses = await alterConfigResources(ctx, req.resources, {
      shapeError(r) {
        const badOp = r.configs.find((c) => OPS[c.configOperation] === undefined);
        if (badOp) return `Unknown operations type ${badOp.configOperation}`;
        return requestShapeError(r.configs, (i) => OPS[r.configs[i]!.configOperation] === 'delete');
      },
      broker: (r) => changeBrokerConfigs(broker, r.resourceName, changesOf(r), req.validateOnly),
      async topic(r) {
        await broker.logs.alterTopicConfigs(r.resourceName, changesOf(r), { validateOnly: req.validateOnly });
        if (!req.validateOnly) warnTopicConfigs(broker, r.resourceName, r.configs.filter((c) => OPS[c.configOperation] === 'set'));
      },
    });
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req: IncrementalAlterConfigsRequest, errorCode: number) {
    return allResourcesFailed(req.resources, errorCode);
  },
};
