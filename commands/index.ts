import type { Command } from '@oclif/core';

export type CommandLoader = () => Promise<Command.Class>;

/**
 * The command table: the single list of what `kstream` can do. Keys use ':' for topics (`topics:list` =
 * `kstream topics list`). Each entry loads its command module on demand: cli.ts loads only the command
 * being run (all of them only for help and completion), so start-up does not grow with the number of
 * commands — oclif builds a manifest entry (flags, args, help) for every command it is given, and with
 * forty commands that was most of `kstream serve`'s own start-up CPU. Commands also import their
 * machinery lazily inside run().
 */
export const commands: Record<string, CommandLoader> = {
  serve: () => import('./serve.ts').then((m) => m.default),
  produce: () => import('./produce.ts').then((m) => m.default),
  consume: () => import('./consume.ts').then((m) => m.default),
  'topics:list': () => import('./topics/list.ts').then((m) => m.default),
  'topics:describe': () => import('./topics/describe.ts').then((m) => m.default),
  'topics:create': () => import('./topics/create.ts').then((m) => m.default),
  'topics:delete': () => import('./topics/delete.ts').then((m) => m.default),
  'topics:alter-config': () => import('./topics/alter-config.ts').then((m) => m.default),
  'topics:add-partitions': () => import('./topics/add-partitions.ts').then((m) => m.default),
  'groups:list': () => import('./groups/list.ts').then((m) => m.default),
  'groups:describe': () => import('./groups/describe.ts').then((m) => m.default),
  'groups:delete': () => import('./groups/delete.ts').then((m) => m.default),
  'groups:reset-offsets': () => import('./groups/reset-offsets.ts').then((m) => m.default),
  'transactions:list': () => import('./transactions/list.ts').then((m) => m.default),
  'transactions:describe': () => import('./transactions/describe.ts').then((m) => m.default),
  'transactions:describe-producers': () => import('./transactions/describe-producers.ts').then((m) => m.default),
  'transactions:abort': () => import('./transactions/abort.ts').then((m) => m.default),
  'acls:create': () => import('./acls/create.ts').then((m) => m.default),
  'acls:list': () => import('./acls/list.ts').then((m) => m.default),
  'acls:delete': () => import('./acls/delete.ts').then((m) => m.default),
  help: () => import('./help.ts').then((m) => m.default),
  version: () => import('./version.ts').then((m) => m.default),
  completion: () => import('./completion.ts').then((m) => m.default),
  // connect commands
  'connect:standalone': () => import('./connect/standalone.ts').then((m) => m.default),
  'connect:list': () => import('./connect/list.ts').then((m) => m.default),
  'connect:status': () => import('./connect/status.ts').then((m) => m.default),
  'connect:create': () => import('./connect/create.ts').then((m) => m.default),
  'connect:distributed': () => import('./connect/distributed.ts').then((m) => m.default),
  'connect:delete': () => import('./connect/delete.ts').then((m) => m.default),
  'connect:pause': () => import('./connect/pause.ts').then((m) => m.default),
  'connect:resume': () => import('./connect/resume.ts').then((m) => m.default),
  'connect:stop': () => import('./connect/stop.ts').then((m) => m.default),
  'connect:restart': () => import('./connect/restart.ts').then((m) => m.default),
  'connect:offsets': () => import('./connect/offsets.ts').then((m) => m.default),
  // end connect commands
  // cli2: records, offsets, cluster and configs commands (issue 14).
  'topics:delete-records': () => import('./topics/delete-records.ts').then((m) => m.default),
  'groups:delete-offsets': () => import('./groups/delete-offsets.ts').then((m) => m.default),
  'users:create': () => import('./users/create.ts').then((m) => m.default),
  'users:list': () => import('./users/list.ts').then((m) => m.default),
  'users:delete': () => import('./users/delete.ts').then((m) => m.default),
  'brokers:list': () => import('./brokers/list.ts').then((m) => m.default),
  'cluster:describe': () => import('./cluster/describe.ts').then((m) => m.default),
  // Cluster mode (issue 18).
  'cluster:up': () => import('./cluster/up.ts').then((m) => m.default),
  'topics:reassign': () => import('./topics/reassign.ts').then((m) => m.default),
  'topics:elect-leaders': () => import('./topics/elect-leaders.ts').then((m) => m.default),
  'configs:get': () => import('./configs/get.ts').then((m) => m.default),
  'configs:set': () => import('./configs/set.ts').then((m) => m.default),
  'configs:delete': () => import('./configs/delete.ts').then((m) => m.default),
  // client quotas (issue 19)
  'quotas:get': () => import('./quotas/get.ts').then((m) => m.default),
  'quotas:set': () => import('./quotas/set.ts').then((m) => m.default),
  'quotas:delete': () => import('./quotas/delete.ts').then((m) => m.default),
  // streams
  'streams:run': () => import('./streams/run.ts').then((m) => m.default),
  'streams:describe': () => import('./streams/describe.ts').then((m) => m.default),
  'streams:reset': () => import('./streams/reset.ts').then((m) => m.default),
};
