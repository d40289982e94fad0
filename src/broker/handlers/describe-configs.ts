import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  DescribeConfigsApi,
  type DescribeConfigsRequest,
  type DescribeConfigsResponseConfigsInput,
  type DescribeConfigsResponseInput,
  type DescribeConfigsResponseResultsInput,
} from '../../protocol/messages/describe-configs.ts';
import { brokerConfigEntries, ConfigResourceType, type DescribedConfig, topicConfigEntries } from '../described-configs.ts';
import { toErrorCode } from '../errors.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { configResourceRefusal, Op } from '../authorize.ts';

/**
 * DescribeConfigs (32), v0–4, as Kafka 3.9's ConfigHelper answers it (entries: ../described-configs.ts).
 * Topics: every Kafka topic config with its effective value, source and, when asked, its synonyms
 * (override, then the broker settings under their broker names, then the default). Broker: resource
 * name = node id lists every setting (read-only unless Kafka can alter it at runtime); "" lists the
 * cluster-wide dynamic settings only. An empty key list means all keys, as in Kafka.
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
      const refusal = configResourceRefusal(ctx, Op.DESCRIBE_CONFIGS, r.resourceType, r.resourceName);
      if (refusal !== null) return { ...base, errorCode: refusal, errorMessage: null, configs: [] };
      const keys = r.configurationKeys === null || r.configurationKeys.length === 0 ? null : new Set(r.configurationKeys);
      try {
        let entries: DescribedConfig[];
        if (r.resourceType === ConfigResourceType.TOPIC) {
          const topic = broker.logs.getTopic(r.resourceName);
          if (!topic) {
            return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${r.resourceName} does not exist`, configs: [] };
          }
          entries = topicConfigEntries(broker.config, topic.configs);
        } else if (r.resourceType === ConfigResourceType.BROKER) {
          const bad = brokerResourceError(r.resourceName, broker.nodeId);
          if (bad) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: bad, configs: [] };
          entries = brokerConfigEntries(broker.config, r.resourceName === '' ? 'cluster' : 'broker');
        } else {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, configs: [] };
        }
        let configs = entries.map((e) => toWire(e, v, req));
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

/** One entry at version `v`: synonyms from v1 when asked, documentation from v3 when asked, isDefault only in v0. */
function toWire(e: DescribedConfig, v: number, req: DescribeConfigsRequest): DescribeConfigsResponseConfigsInput {
  return {
    name: e.name,
    value: e.value,
    readOnly: e.readOnly,
    isDefault: v === 0 ? e.isDefault : false,
    configSource: e.configSource,
    isSensitive: e.isSensitive,
    synonyms: v >= 1 && req.includeSynonyms ? e.synonyms : [],
    configType: e.configType,
    documentation: v >= 3 && req.includeDocumentation ? e.documentation : null,
  };
}

/** Kafka's checks of a BROKER resource name: "" (cluster-wide) or this node's id; null when fine. */
export function brokerResourceError(name: string, nodeId: number): string | null {
  if (name === '') return null;
  if (!/^-?\d+$/.test(name)) return `Broker id must be an integer, but it is: ${name}`;
  return Number(name) === nodeId ? null : `Unexpected broker id, expected ${nodeId} or empty string, but received ${name}`;
}
