import { ErrorCode } from '../../protocol/error-codes.ts';
import { JoinGroupApi, type JoinGroupRequest, type JoinGroupResponseInput } from '../../protocol/messages/join-group.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';


/**
 * JoinGroup (11) v0–9. Per version: v0 has no rebalance timeout (the session timeout stands in),
 * v4+ requires a known member id (KIP-394 MEMBER_ID_REQUIRED round trip), v5+ static membership,
 * v7+ nullable protocol type/name, v9 SkipAssignment. The response waits for the rebalance round.
 */
export const joinGroup: ApiHandler<typeof JoinGroupApi> = {
  api: JoinGroupApi,
  minVersion: 0,
  maxVersion: 9,
  async handle(req, ctx) {
    if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return errorShape(req, ErrorCode.GROUP_AUTHORIZATION_FAILED, ctx);
    const gc = ctx.broker.coordinator;
    const v = ctx.apiVersion;
    const r = await gc.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: v >= 5 ? req.groupInstanceId : null,
      requireKnownMemberId: v >= 4,
      supportsSkipAssignment: v >= 9,
      clientId: ctx.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : -1,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
    });
    const out: JoinGroupResponseInput = {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolName: v >= 7 ? (r.protocolName === '' ? null : r.protocolName) : (r.protocolName ?? ''),
      leader: r.leader,
      memberId: r.memberId,
      members: r.members.map((m) => (v >= 5 ? { memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata } : { memberId: m.memberId, metadata: m.metadata })),
    };
    if (v >= 7) out.protocolType = r.protocolType;
    if (v >= 9) out.skipAssignment = r.skipAssignment;
    return out;
  },
  errorResponse(req, errorCode, ctx) {
    return errorShape(req, errorCode, ctx);
  },
};

function errorShape(req: JoinGroupRequest, errorCode: number, ctx: RequestContext): JoinGroupResponseInput {
  return { throttleTimeMs: 0, errorCode, generationId: -1, protocolName: ctx.apiVersion >= 7 ? null : '', leader: '', memberId: req.memberId, members: [] };
}
