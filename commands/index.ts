import type { Command } from '@oclif/core';
import Consume from './consume.ts';
import GroupsDelete from './groups/delete.ts';
import GroupsDescribe from './groups/describe.ts';
import GroupsList from './groups/list.ts';
import GroupsResetOffsets from './groups/reset-offsets.ts';
import Produce from './produce.ts';
import TopicsAddPartitions from './topics/add-partitions.ts';
import TopicsAlterConfig from './topics/alter-config.ts';
import TopicsCreate from './topics/create.ts';
import TopicsDelete from './topics/delete.ts';
import TopicsDescribe from './topics/describe.ts';
import TopicsList from './topics/list.ts';
import Serve from './serve.ts';
import HelpCommand from './help.ts';
import VersionCommand from './version.ts';
import CompletionCommand from './completion.ts';
import TransactionsList from './transactions/list.ts';
import TransactionsDescribe from './transactions/describe.ts';
import TransactionsDescribeProducers from './transactions/describe-producers.ts';
import TransactionsAbort from './transactions/abort.ts';

/**
 * The command table: the single list of what `kstream` can do. oclif's "explicit" strategy reads it,
 * so no directory is scanned at start-up. Keys use ':' for topics (`topics:list` = `kstream topics list`).
 * Commands import their machinery lazily inside run(), so loading this table stays cheap.
 */
export const commands: Record<string, Command.Class> = {
  serve: Serve,
  produce: Produce,
  consume: Consume,
  'topics:list': TopicsList,
  'topics:describe': TopicsDescribe,
  'topics:create': TopicsCreate,
  'topics:delete': TopicsDelete,
  'topics:alter-config': TopicsAlterConfig,
  'topics:add-partitions': TopicsAddPartitions,
  'groups:list': GroupsList,
  'groups:describe': GroupsDescribe,
  'groups:delete': GroupsDelete,
  'groups:reset-offsets': GroupsResetOffsets,
  'transactions:list': TransactionsList,
  'transactions:describe': TransactionsDescribe,
  'transactions:describe-producers': TransactionsDescribeProducers,
  'transactions:abort': TransactionsAbort,
  help: HelpCommand,
  version: VersionCommand,
  completion: CompletionCommand,
};
