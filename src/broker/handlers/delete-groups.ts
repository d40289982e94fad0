import { ErrorCode } from '../../protocol/error-codes.ts';
import { DeleteGroupsApi } from '../../protocol/messages/delete-groups.ts';
import type { ApiHandler } from '../handler.ts';
import { allowedNames, Op, Res } from '../authorize.ts';


/** DeleteGroups (42) v0–2: 68 NON_EMPTY_GROUP while members remain, 69 GROUP_ID_NOT_FOUND. */
export const deleteGroups: ApiHandler<typeof DeleteGroupsApi> = {
  api: DeleteGroupsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const gc = ctx.broker.coordinator;
    // DELETE on each group, else GROUP_AUTHORIZATION_FAILED for it (KafkaApis).
    const deletable = allowedNames(ctx, Op.DELETE, Res.GROUP, req.groupsNames);
    const done = await gc.deleteGroups(req.groupsNames.filter((g) => deletable.has(g)));
    const results = req.groupsNames.map((groupId) => (deletable.has(groupId) ? done.find((r) => r.groupId === groupId)! : { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }));
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
};
