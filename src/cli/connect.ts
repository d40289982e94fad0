import { Cluster } from '../client/cluster.ts';
import { parseProperties, type ClientProperties } from './client-properties.ts';
import type { ClientSecurity } from '../client/security.ts';
import { parseBootstrap } from './parse.ts';
import { loadedProfileFile, selectProfile } from './profiles.ts';
import { pickSecurity, resolveCliSecurity, securityFromEnv, type PromptOptions, type SecurityFlags } from './security-settings.ts';

/** The connection flags every client command has (see BaseCommand.baseFlags). */
export interface ConnectionFlags extends SecurityFlags {
  'bootstrap-server'?: string;
  'client-id'?: string;
  'request-timeout-ms'?: number;
  profile?: string;
  property?: string[];
}

export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';

/** Where each setting came from, lowest first: defaults, profile, $KSTREAM_BOOTSTRAP_SERVER, -X, flags. */
export interface ClientSettings extends ClientProperties {
  bootstrapServers: string;
  clientId: string;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  profile: string | null;
  /** TLS/SASL for every connection (src/cli/security-settings.ts). */
  security: ClientSecurity;
}

/**
 * Merges the layers: a command-line flag (-b, --client-id, …) beats `-X`, which beats the
 * environment, which beats the profile (--profile / $KSTREAM_PROFILE / the file's default-profile).
 * The config file was loaded by BaseCommand.init.
 */
export function resolveClientSettings(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env, prompt?: PromptOptions): ClientSettings {
  const { name, props } = selectProfile(loadedProfileFile(), flags.profile);
  const fromX = parseProperties(flags.property);
  const envBootstrap = env.KSTREAM_BOOTSTRAP_SERVER !== undefined && env.KSTREAM_BOOTSTRAP_SERVER !== '' ? env.KSTREAM_BOOTSTRAP_SERVER : undefined;
  const merged: ClientProperties = { ...props, ...securityFromEnv(env), ...(envBootstrap ? { bootstrapServers: envBootstrap } : {}), ...fromX };
  const requestTimeoutMs = flags['request-timeout-ms'] ?? merged.requestTimeoutMs ?? 30_000;
  return {
    ...merged,
    bootstrapServers: flags['bootstrap-server'] ?? merged.bootstrapServers ?? DEFAULT_BOOTSTRAP,
    clientId: flags['client-id'] ?? merged.clientId ?? 'kstream',
    requestTimeoutMs,
    connectTimeoutMs: merged.connectTimeoutMs ?? Math.min(requestTimeoutMs, 10_000),
    profile: name,
    security: resolveCliSecurity(pickSecurity(merged), flags, prompt),
  };
}

/** A cluster handle for the command's flags; the caller closes it (BaseCommand cleanups). */
export function clusterFromFlags(flags: ConnectionFlags): Cluster {
  return clusterFromSettings(resolveClientSettings(flags));
}

export function clusterFromSettings(s: ClientSettings): Cluster {
  return new Cluster({
    bootstrap: parseBootstrap(s.bootstrapServers),
    clientId: s.clientId,
    requestTimeoutMs: s.requestTimeoutMs,
    connectTimeoutMs: s.connectTimeoutMs,
    security: s.security,
  });
}
