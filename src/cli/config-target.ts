import { Flags } from '@oclif/core';
import type { ConfigResource } from '../client/resource-configs.ts';
import type { Cluster } from '../client/cluster.ts';
import { UsageError } from './parse.ts';

/**
 * The `--broker [ID] | --topic T` choice of the `configs` commands. `--broker` alone means the
 * broker we are talking to (the controller); `--broker default` is the cluster-wide dynamic default
 * (kafka-configs.sh --entity-default).
 */

export const targetFlags = {
  broker: Flags.string({ summary: "Broker node id; alone: the controller; 'default': the cluster-wide dynamic defaults.", exclusive: ['topic'] }),
  topic: Flags.string({ summary: 'Topic name.', exclusive: ['broker'] }),
};

/** oclif flags cannot have optional values: a bare `--broker` (no ID after it) becomes `--broker=`. */
export function normalizeBrokerFlag(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--broker' && !/^(\d+|default)$/.test(argv[i + 1] ?? '')) out.push('--broker=');
    else out.push(a);
  }
  return out;
}

export async function resolveTarget(cluster: Cluster, flags: { broker?: string; topic?: string }): Promise<ConfigResource> {
  if (flags.topic !== undefined) {
    if (flags.topic === '') throw new UsageError('--topic: the topic name is empty');
    return { type: 'topic', name: flags.topic };
  }
  if (flags.broker === undefined) throw new UsageError('say whose configs: --broker [ID] or --topic NAME');
  if (flags.broker === 'default') return { type: 'broker', id: 'default' };
  if (flags.broker === '') {
    await cluster.refreshMetadata([]);
    const id = cluster.controllerId >= 0 ? cluster.controllerId : [...cluster.brokers.keys()][0];
    if (id === undefined) throw new Error('the cluster metadata lists no brokers');
    return { type: 'broker', id };
  }
  if (!/^\d+$/.test(flags.broker)) throw new UsageError(`--broker: "${flags.broker}" is not a broker node id or 'default'`);
  return { type: 'broker', id: Number(flags.broker) };
}
