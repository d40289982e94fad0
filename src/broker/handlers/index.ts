import type { ApiHandler } from '../handler.ts';

/**
 * The handler table: the single list of what the broker serves. ApiVersions answers from this
 * list, so adding an API here is all it takes to advertise it. One file per API, named for it.
 *
 * H4's group/offset/producer-id handlers go here too (find-coordinator, join-group, …).
 */
export const handlers: ApiHandler[] = [];
