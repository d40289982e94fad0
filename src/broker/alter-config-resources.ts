import { ErrorCode } from '../protocol/error-codes.ts';
import { configResourceRefusal, Op } from './authorize.ts';
import type { AlterResult } from './broker-config-changes.ts';
import { toErrorCode } from './errors.ts';
import type { RequestContext } from './handler.ts';
import { ConfigResourceType } from './described-configs.ts';

/** A resource of an AlterConfigs or IncrementalAlterConfigs request (the fields both share). */
export interface ConfigResource {
  resourceType: number;
  resourceName: string;
}

/** One resource's answer, as both responses carry it. */
export interface AlteredResource extends ConfigResource, AlterResult {}

/** What differs between the two APIs: how a resource's configs are checked and applied. */
export interface ConfigResourceAlter<R extends ConfigResource> {
  /** INVALID_REQUEST's message when the configs are malformed (duplicates, nulls, unknown ops), else null. */
  shapeError(r: R): string | null;
  /** Alters a BROKER resource's dynamic layer (broker-config-changes.ts). */
  broker(r: R): Promise<AlterResult>;
  /** Alters a TOPIC's overrides; throws a storage error (INVALID_CONFIG, UNKNOWN_TOPIC_OR_PARTITION, …) to refuse. */
  topic(r: R): Promise<void>;
}

/**
 * The per-resource steps Kafka's ConfigAdminManager takes for both APIs, in its order: authorize
 * (ALTER_CONFIGS on the topic or cluster), check the request's shape, then alter a BROKER or TOPIC
 * resource; any other type is INVALID_REQUEST. Each resource succeeds or fails on its own.
 */
export async function alterConfigResources<R extends ConfigResource>(ctx: RequestContext, resources: readonly R[], alter: ConfigResourceAlter<R>): Promise<AlteredResource[]> {
  const responses: AlteredResource[] = [];
  for (const r of resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    const refusal = configResourceRefusal(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName);
    if (refusal !== null) {
      responses.push({ ...base, errorCode: refusal, errorMessage: null });
      continue;
    }
    const shape = alter.shapeError(r);
    if (shape !== null) {
      responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: shape });
      continue;
    }
    if (r.resourceType === ConfigResourceType.BROKER) {
      responses.push({ ...base, ...(await alter.broker(r)) });
      continue;
    }
    if (r.resourceType !== ConfigResourceType.TOPIC) {
      responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown resource type ${r.resourceType}` });
      continue;
    }
    try {
      await alter.topic(r);
      responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (err) {
      const e = toErrorCode(err, ctx.broker.logger, `altering configs of ${r.resourceName}`);
      responses.push({ ...base, errorCode: e.errorCode, errorMessage: e.message });
    }
  }
  return responses;
}

/** Both APIs' answer when the handler itself fails: `errorCode` on every resource. */
export function allResourcesFailed(resources: readonly ConfigResource[], errorCode: number): { throttleTimeMs: number; responses: AlteredResource[] } {
  return { throttleTimeMs: 0, responses: resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
}
