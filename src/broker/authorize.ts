import { ErrorCode } from '../protocol/error-codes.ts';
import { AclOperation, CLUSTER_NAME, codeName, hostAddress, ResourceType } from '../security/authorizer/acl.ts';
import type { Requester } from '../security/authorizer/standard-authorizer.ts';
import type { RequestContext } from './handler.ts';

/** Kafka's operation and resource-type codes, for readable call sites: `allowed(ctx, Op.READ, Res.GROUP, id)`. */
export { AclOperation as Op, ResourceType as Res } from '../security/authorizer/acl.ts';

/**
 * The one place handlers ask the authorizer (KafkaApis' AuthHelper). Without `authorizer.class.name`
 * there is no authorizer and everything is allowed, as in Kafka. Handlers call these at the point
 * KafkaApis does and answer with the error code Kafka uses there; they never look at ACLs themselves.
 */
export function requester(ctx: RequestContext): Requester {
  return { principal: ctx.connection.principal, host: hostAddress(ctx.connection.remoteAddress) };
}

/**
 * May this request's principal perform `operation` on the resource? `logIfDenied` false where a
 * refusal is not the request's refusal (a first check with a fallback), as Kafka's logIfDenied.
 */
export function allowed(ctx: RequestContext, operation: number, resourceType: number, name: string, logIfDenied = true): boolean {
  const authorizer = ctx.broker.authorizer;
  if (authorizer === undefined) return true;
  const who = requester(ctx);
  const ok = authorizer.authorize(who, operation, resourceType, name);
  if (!ok && logIfDenied) logDenied(ctx, who, operation, resourceType, name);
  return ok;
}

/** One debug line per refusal (Kafka's kafka.authorizer.logger says the same at INFO). */
function logDenied(ctx: RequestContext, who: Requester, operation: number, resourceType: number, name: string): void {
  ctx.broker.logger.debug(
    `authorization: principal ${who.principal} from ${who.host} denied ${codeName(AclOperation, operation)} on ${codeName(ResourceType, resourceType)}:${name} (api key ${ctx.apiKey})`,
  );
}

/** `operation` on the CLUSTER resource (`kafka-cluster`). */
export function allowedOnCluster(ctx: RequestContext, operation: number, logIfDenied = true): boolean {
  return allowed(ctx, operation, ResourceType.CLUSTER, CLUSTER_NAME, logIfDenied);
}

/** The distinct names among `names` the principal may perform `operation` on (AuthHelper.filterByAuthorized). */
export function allowedNames(ctx: RequestContext, operation: number, resourceType: number, names: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const authorizer = ctx.broker.authorizer;
  const who = authorizer ? requester(ctx) : null;
  for (const name of names) {
    if (out.has(name)) continue;
    if (authorizer === undefined || authorizer.authorize(who!, operation, resourceType, name)) out.add(name);
    else logDenied(ctx, who!, operation, resourceType, name);
  }
  return out;
}

/** Topic names the principal may perform `operation` on. */
export function allowedTopics(ctx: RequestContext, operation: number, names: Iterable<string>): Set<string> {
  return allowedNames(ctx, operation, ResourceType.TOPIC, names);
}

/** `operation` on at least one resource of the type (Authorizer.authorizeByResourceType). */
export function allowedOnAnyOf(ctx: RequestContext, operation: number, resourceType: number): boolean {
  const authorizer = ctx.broker.authorizer;
  return authorizer === undefined || authorizer.authorizeByResourceType(requester(ctx), operation, resourceType);
}

/**
 * KIP-430 authorized operations: the bit set (1 << operation code) of `operations` the principal may
 * perform on the resource (Metadata/DescribeGroups/DescribeCluster's *AuthorizedOperations).
 */
export function authorizedOperations(ctx: RequestContext, resourceType: number, name: string, operations: readonly number[]): number {
  const authorizer = ctx.broker.authorizer;
  const who = requester(ctx);
  let bits = 0;
  // Not logged: asking what is allowed is not a refused request (Kafka's logIfDenied=false).
  for (const op of operations) if (authorizer === undefined || authorizer.authorize(who, op, resourceType, name)) bits |= 1 << op;
  return bits;
}

// Config resource types (DescribeConfigs/AlterConfigs); only these are authorized here, others are
// refused as invalid by the handlers.
const CONFIG_TOPIC = 2;
const CONFIG_BROKER = 4;
const CONFIG_BROKER_LOGGER = 8;

/**
 * Kafka's ConfigHelper/AuthHelper rule for a config resource: a topic needs `operation`
 * (DESCRIBE_CONFIGS or ALTER_CONFIGS) on the topic, a broker (or broker logger) on the cluster.
 * Returns the error code of a refusal, or null when allowed (or not a type this rule covers).
 */
export function configResourceRefusal(ctx: RequestContext, operation: number, resourceType: number, name: string): number | null {
  if (resourceType === CONFIG_TOPIC) return allowed(ctx, operation, ResourceType.TOPIC, name) ? null : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  if (resourceType === CONFIG_BROKER || resourceType === CONFIG_BROKER_LOGGER) return allowedOnCluster(ctx, operation) ? null : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  return null;
}
