import { ErrorCode } from '../../protocol/error-codes.ts';
import { DeleteGroupsApi, type DeleteGroupsRequest, type DeleteGroupsResponseInput } from '../../protocol/messages/delete-groups.ts';
import type { ApiHandler } from '../handler.ts';


/** DeleteGroups (42) v0–2: 68 NON_EMPTY_GROUP while members remain, 69 GROUP_ID_NOT_FOUND. */
export const deleteGroups: ApiHandler<typeof DeleteGroupsApi> = {
  api: DeleteGroupsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const gc = ctx.broker.coordinator;
    return { throttleTimeMs: 0, results: await gc.deleteGroups(req.groupsNames) };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
};
