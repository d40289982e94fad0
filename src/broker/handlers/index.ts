import type { ApiHandler } from '../handler.ts';
import { deleteGroups } from './delete-groups.ts';
import { describeGroups } from './describe-groups.ts';
import { findCoordinator } from './find-coordinator.ts';
import { heartbeat } from './heartbeat.ts';
import { initProducerId } from './init-producer-id.ts';
import { joinGroup } from './join-group.ts';
import { leaveGroup } from './leave-group.ts';
import { listGroups } from './list-groups.ts';
import { offsetCommit } from './offset-commit.ts';
import { offsetDelete } from './offset-delete.ts';
import { offsetFetch } from './offset-fetch.ts';
import { syncGroup } from './sync-group.ts';

/**
 * The handler table: the single list of what the broker serves. ApiVersions answers from this
 * list, so adding an API here is all it takes to advertise it. One file per API, named for it.
 *
 * H4's group/offset/producer-id handlers go here too (find-coordinator, join-group, …).
 */
export const handlers: ApiHandler[] = [
  // Groups, offsets, producer ids (H4).
  offsetCommit, offsetFetch, findCoordinator, joinGroup, heartbeat, leaveGroup, syncGroup,
  describeGroups, listGroups, initProducerId, deleteGroups, offsetDelete,
];
