import { Flags } from '@oclif/core';
import type { QuotaEntity, QuotaFilter } from '../client/quotas-admin.ts';
import { UsageError } from './parse.ts';

/**
 * The entity flags of the `quotas` commands, named as kafka-configs.sh's shortcuts: `--user alice`
 * (`--entity-type users --entity-name alice`), `--user-defaults` (`--entity-default`), `--client app`,
 * `--client-defaults`, `--ip 10.0.0.1`, `--ip-defaults`. (`--client-id` is every command's own client
 * id, so the client entity is `--client`, as in kafka-configs.sh.)
 */
export const quotaEntityFlags = {
  user: Flags.string({ summary: "The user's principal name (as in User:<name>).", exclusive: ['user-defaults', 'ip', 'ip-defaults'], helpGroup: 'ENTITY' }),
  'user-defaults': Flags.boolean({ summary: 'The default quota of all users.', aliases: ['user-default'], exclusive: ['user', 'ip', 'ip-defaults'], helpGroup: 'ENTITY' }),
  client: Flags.string({ summary: "The client's id (client.id).", exclusive: ['client-defaults', 'ip', 'ip-defaults'], helpGroup: 'ENTITY' }),
  'client-defaults': Flags.boolean({ summary: 'The default quota of all client ids.', aliases: ['client-default', 'client-id-default'], exclusive: ['client', 'ip', 'ip-defaults'], helpGroup: 'ENTITY' }),
  ip: Flags.string({ summary: 'An IP address (connection_creation_rate only).', exclusive: ['ip-defaults'], helpGroup: 'ENTITY' }),
  'ip-defaults': Flags.boolean({ summary: 'The default quota of all IPs.', aliases: ['ip-default'], exclusive: ['ip'], helpGroup: 'ENTITY' }),
};

export interface QuotaEntityFlagValues {
  user?: string;
  'user-defaults'?: boolean;
  client?: string;
  'client-defaults'?: boolean;
  ip?: string;
  'ip-defaults'?: boolean;
}

/** The entity the flags name (an empty one when none is given). */
export function entityFromFlags(f: QuotaEntityFlagValues): QuotaEntity {
  const e: QuotaEntity = {};
  for (const [type, name, dflt] of [
    ['user', f.user, f['user-defaults']],
    ['client-id', f.client, f['client-defaults']],
    ['ip', f.ip, f['ip-defaults']],
  ] as const) {
    if (name !== undefined) {
      if (name === '') throw new UsageError(`--${type === 'client-id' ? 'client' : type}: the name is empty (for the default entity use --${type === 'client-id' ? 'client' : type}-defaults)`);
      e[type] = name;
    } else if (dflt) e[type] = null;
  }
  return e;
}

/** The entity, which must name at least one type (set, delete). */
export function requiredEntity(f: QuotaEntityFlagValues, command: string): QuotaEntity {
  const e = entityFromFlags(f);
  if (Object.keys(e).length === 0) throw new UsageError(`${command}: say whose quotas: --user NAME | --user-defaults, and/or --client ID | --client-defaults (or --ip ADDR | --ip-defaults)`);
  return e;
}

/** kafka-configs.sh --describe: with entity flags, exactly those entities (strict); without, every quota. */
export function filterFromFlags(f: QuotaEntityFlagValues): QuotaFilter {
  const e = entityFromFlags(f);
  const components = (Object.keys(e) as (keyof QuotaEntity)[]).map((entityType) => ({ entityType, match: e[entityType] }));
  return { components, strict: components.length > 0 };
}
