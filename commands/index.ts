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
// connect: Kafka Connect worker and REST client commands (block kept contiguous for merges)
import ConnectCreate from './connect/create.ts';
import ConnectDelete from './connect/delete.ts';
import ConnectList from './connect/list.ts';
import ConnectOffsets from './connect/offsets.ts';
import ConnectPause from './connect/pause.ts';
import ConnectRestart from './connect/restart.ts';
import ConnectResume from './connect/resume.ts';
import ConnectStandalone from './connect/standalone.ts';
import ConnectStatus from './connect/status.ts';
import ConnectStop from './connect/stop.ts';
// end connect imports
// cli2: records, offsets, cluster and configs commands (issue 14).
import TopicsDeleteRecords from './topics/delete-records.ts';
import GroupsDeleteOffsets from './groups/delete-offsets.ts';
import BrokersList from './brokers/list.ts';
import ClusterDescribe from './cluster/describe.ts';
import ConfigsGet from './configs/get.ts';
import ConfigsSet from './configs/set.ts';
import ConfigsDelete from './configs/delete.ts';
// streams: the Kafka Streams runtime commands
import StreamsDescribe from './streams/describe.ts';
import StreamsReset from './streams/reset.ts';
import StreamsRun from './streams/run.ts';

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
  help: HelpCommand,
  version: VersionCommand,
  completion: CompletionCommand,
  // connect commands
  'connect:standalone': ConnectStandalone,
  'connect:list': ConnectList,
  'connect:status': ConnectStatus,
  'connect:create': ConnectCreate,
  'connect:delete': ConnectDelete,
  'connect:pause': ConnectPause,
  'connect:resume': ConnectResume,
  'connect:stop': ConnectStop,
  'connect:restart': ConnectRestart,
  'connect:offsets': ConnectOffsets,
  // end connect commands
  // cli2: records, offsets, cluster and configs commands (issue 14).
  'topics:delete-records': TopicsDeleteRecords,
  'groups:delete-offsets': GroupsDeleteOffsets,
  'brokers:list': BrokersList,
  'cluster:describe': ClusterDescribe,
  'configs:get': ConfigsGet,
  'configs:set': ConfigsSet,
  'configs:delete': ConfigsDelete,
  // streams
  'streams:run': StreamsRun,
  'streams:describe': StreamsDescribe,
  'streams:reset': StreamsReset,
};
