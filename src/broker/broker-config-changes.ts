import { brokerSetting } from '../config/broker-settings.ts';
import { splitList } from '../config/definitions.ts';
import { messageFormatVersionWarning } from '../config/topic-settings.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { ConfigError, type DynamicScope } from './config.ts';
import type { BrokerContext } from './handler.ts';

/**
 * AlterConfigs / IncrementalAlterConfigs on the BROKER resource, as Kafka 3.9's ConfigAdminManager
 * checks them: resource name "" alters the cluster-wide dynamic layer, this node's id the per-broker
 * one; only settings Kafka can change at runtime are accepted (else INVALID_REQUEST "Cannot update
 * these configs dynamically"); the change is persisted, then applied live (topic defaults such as
 * log.retention.ms reach every partition at once).
 */

export type ConfigOpName = 'set' | 'delete' | 'append' | 'subtract';
export interface BrokerConfigChange {
  name: string;
  op: ConfigOpName;
  value: string | null;
}
export interface AlterResult {
  errorCode: number;
  errorMessage: string | null;
}

const OK: AlterResult = { errorCode: ErrorCode.NONE, errorMessage: null };

/** Kafka's validateResourceNameIsCurrentNodeId: the scope named, or an error message. */
function scopeOf(resourceName: string, nodeId: number): DynamicScope | string {
  if (resourceName === '') return 'cluster';
  if (!/^-?\d+$/.test(resourceName)) return `Node id must be an integer, but it is: ${resourceName}`;
  if (Number(resourceName) !== nodeId) return `Unexpected broker id, expected ${nodeId}, but received ${resourceName}`;
  return 'broker';
}

/** Checks shared by both APIs: duplicates and nulls (INVALID_REQUEST, Kafka's messages). */
export function requestShapeError(configs: readonly { name: string; value: string | null }[], nullAllowed: (i: number) => boolean): string | null {
  if (new Set(configs.map((c) => c.name)).size !== configs.length) return 'Error due to duplicate config keys';
  const nulls = configs.filter((c, i) => c.value === null && !nullAllowed(i)).map((c) => c.name);
  return nulls.length > 0 ? `Null value not supported for : ${nulls.join(', ')}` : null;
}

async function apply(broker: BrokerContext, resourceName: string, next: (current: Record<string, string>) => Record<string, string>, validateOnly: boolean): Promise<AlterResult> {
  const scope = scopeOf(resourceName, broker.nodeId);
  if (scope !== 'cluster' && scope !== 'broker') return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: scope };
  try {
    await broker.config.alterDynamic(scope, next, { validateOnly });
    if (!validateOnly) broker.logger.info(`dynamic ${scope === 'cluster' ? 'cluster-wide' : `broker ${broker.nodeId}`} configs now: ${JSON.stringify(broker.config.dynamic(scope))}`);
    return OK;
  } catch (err) {
    if (err instanceof ConfigError) return { errorCode: err.errorCode, errorMessage: err.message };
    if (err instanceof InvalidConfigOp) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: err.message };
    throw err;
  }
}

class InvalidConfigOp extends Error {}

/** Legacy AlterConfigs: the given set replaces the resource's whole dynamic layer. */
export function replaceBrokerConfigs(broker: BrokerContext, resourceName: string, configs: Record<string, string>, validateOnly: boolean): Promise<AlterResult> {
  return apply(broker, resourceName, () => ({ ...configs }), validateOnly);
}

/** IncrementalAlterConfigs: SET / DELETE / APPEND / SUBTRACT on the resource's dynamic layer. */
export function changeBrokerConfigs(broker: BrokerContext, resourceName: string, changes: readonly BrokerConfigChange[], validateOnly: boolean): Promise<AlterResult> {
  return apply(
    broker,
    resourceName,
    (current) => {
      const next = { ...current };
      for (const c of changes) {
        const def = brokerSetting(c.name);
        const name = def?.name ?? c.name;
        switch (c.op) {
          case 'set':
            next[name] = c.value!;
            break;
          case 'delete':
            delete next[name];
            break;
          case 'append':
          case 'subtract': {
            if (!def || def.type !== 'LIST') throw new InvalidConfigOp(`Config value ${c.op} is not allowed for config key: ${c.name}`);
            const cur = splitList(next[name] ?? def.default ?? '');
            const items = splitList(c.value ?? '');
            next[name] = (c.op === 'append' ? [...cur, ...items.filter((i) => !cur.includes(i))] : cur.filter((i) => !items.includes(i))).join(',');
            break;
          }
        }
      }
      return next;
    },
    validateOnly,
  );
}

/** Logs Kafka's deprecation warning when a topic alter sets message.format.version to a pre-0.11 format. */
export function warnTopicConfigs(broker: BrokerContext, topic: string, configs: readonly { name: string; value: string | null }[]): void {
  for (const c of configs) {
    if (c.name !== 'message.format.version' || c.value === null) continue;
    const warning = messageFormatVersionWarning(topic, c.value);
    if (warning) broker.logger.warn(warning);
  }
}
