import { ErrorCode } from '../../protocol/error-codes.ts';
import { DescribeConfigsApi, type DescribeConfigsRequest, type DescribeConfigsResponseConfigsInput, type DescribeConfigsResponseInput, type DescribeConfigsResponseResultsInput } from '../../protocol/messages/describe-configs.ts';
import type { Kind } from '../config.ts';
import { toErrorCode } from '../errors.ts';
import type { ApiHandler, BrokerContext, RequestContext } from '../handler.ts';

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

/** DescribeConfigs configSource codes used for broker settings. */
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;
/** DescribeConfigs v3+ configType codes. */
const TYPE_CODE: Record<Kind, number> = { bool: 1, string: 2, int: 3, long: 5 };

/**
 * DescribeConfigs (32), v0–4. Topics: every topic config with its effective value and where it comes
 * from (topic override, broker setting, Kafka default) and, when asked, the synonyms in precedence
 * order. Broker (resource name "" or this node's id): the broker settings, read-only (they are set
 * at start-up with --config / --config-file).
 */
export const describeConfigs: ApiHandler<typeof DescribeConfigsApi> = {
  api: DescribeConfigsApi,
  minVersion: 0,
  maxVersion: 4,
  handle(req: DescribeConfigsRequest, ctx: RequestContext): DescribeConfigsResponseInput {
    const v = ctx.apiVersion;
    const broker = ctx.broker;
    const results: DescribeConfigsResponseResultsInput[] = req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const keys = r.configurationKeys === null ? null : new Set(r.configurationKeys);
      try {
        let configs: DescribeConfigsResponseConfigsInput[];
        if (r.resourceType === ResourceType.TOPIC) {
          if (!broker.logs.hasTopic(r.resourceName)) {
            return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${r.resourceName} does not exist`, configs: [] };
          }
          configs = broker.logs.describeTopicConfigs(r.resourceName).map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: v === 0 ? e.isDefault : false,
            configSource: e.sourceCode,
            isSensitive: e.isSensitive,
            synonyms: v >= 1 && req.includeSynonyms ? e.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.sourceCode })) : [],
            configType: e.typeCode,
            documentation: v >= 3 && req.includeDocumentation ? e.documentation : null,
          }));
        } else if (r.resourceType === ResourceType.BROKER) {
          if (r.resourceName !== '' && r.resourceName !== String(broker.nodeId)) {
            return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${r.resourceName}`, configs: [] };
          }
          configs = brokerConfigs(broker, v, req);
        } else {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, configs: [] };
        }
        if (keys) configs = configs.filter((c) => keys.has(c.name));
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
      } catch (err) {
        const e = toErrorCode(err, broker.logger, `describing configs of ${r.resourceName}`);
        return { ...base, errorCode: e.errorCode, errorMessage: e.message, configs: [] };
      }
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req: DescribeConfigsRequest, errorCode: number) {
    return {
      throttleTimeMs: 0,
      results: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })),
    };
  },
};

function brokerConfigs(broker: BrokerContext, v: number, req: DescribeConfigsRequest): DescribeConfigsResponseConfigsInput[] {
  return broker.config.describe().map((s) => {
    const source = s.explicit ? STATIC_BROKER_CONFIG : DEFAULT_CONFIG;
    return {
      name: s.name,
      value: s.value,
      readOnly: true,
      isDefault: v === 0 ? !s.explicit : false,
      configSource: source,
      isSensitive: false,
      synonyms: v >= 1 && req.includeSynonyms ? [{ name: s.name, value: s.value, source }] : [],
      configType: TYPE_CODE[s.kind],
      documentation: v >= 3 && req.includeDocumentation ? s.doc : null,
    };
  });
}
