import { SECURITY_KEYS, securityFromConfig } from '../../client/security-config.ts';
import type { ClientSecurity } from '../../client/security.ts';
import { parseConfig, type ConfigDef } from '../config-def.ts';

/**
 * The standalone worker's settings, by Kafka's names (StandaloneConfig / WorkerConfig). Settings we do
 * not act on (plugin.path, plugin.discovery, metrics, security of the admin REST extension…) are
 * accepted and ignored, as a Kafka worker ignores unknown ones; `ignoredSettings` lists those present.
 */

export interface WorkerConfig {
  bootstrap: Array<{ host: string; port: number }>;
  props: Record<string, string>;
  offsetFile: string;
  offsetFlushIntervalMs: number;
  listeners: Array<{ host: string; port: number }>;
  clientId: string;
  topicTrackingEnable: boolean;
  ignoredSettings: string[];
  /** The worker's Kafka client security (security.protocol, sasl.*, ssl.*), used by every connection. */
  security: ClientSecurity;
}

const DEF: ConfigDef = [
  { name: 'bootstrap.servers', type: 'LIST', defaultValue: 'localhost:9092', importance: 'HIGH', documentation: 'Kafka brokers' },
  { name: 'key.converter', type: 'CLASS', importance: 'HIGH', documentation: 'Key converter class' },
  { name: 'value.converter', type: 'CLASS', importance: 'HIGH', documentation: 'Value converter class' },
  { name: 'offset.storage.file.filename', type: 'STRING', importance: 'HIGH', documentation: 'File to store source connector offsets in' },
  { name: 'offset.flush.interval.ms', type: 'LONG', defaultValue: '60000', importance: 'LOW', documentation: 'Interval at which to try committing offsets for tasks' },
  { name: 'listeners', type: 'LIST', defaultValue: 'http://:8083', importance: 'LOW', documentation: 'REST API listeners' },
  { name: 'client.id', type: 'STRING', defaultValue: 'connect', importance: 'LOW', documentation: 'Client id prefix' },
  { name: 'topic.tracking.enable', type: 'BOOLEAN', defaultValue: 'true', importance: 'LOW', documentation: 'Track the topics connectors use' },
];

const KNOWN = new Set([
  ...DEF.map((d) => d.name),
  'header.converter',
  'plugin.path',
  'plugin.discovery',
  'rest.advertised.host.name',
  'rest.advertised.port',
  'rest.advertised.listener',
  'topic.tracking.allow.reset',
  'task.shutdown.graceful.timeout.ms',
  ...Object.keys(SECURITY_KEYS),
]);

export function parseHostPort(text: string, defaultPort: number, what: string): { host: string; port: number } {
  const m = /^\s*(?:\[([^\]]+)\]|([^:\s]*))(?::(\d+))?\s*$/.exec(text);
  if (!m) throw new Error(`invalid ${what} "${text}": expected host:port`);
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (port > 65535) throw new Error(`invalid ${what} "${text}": port out of range`);
  return { host: m[1] ?? m[2] ?? '', port };
}

/** `distributed`: offsets live in offset.storage.topic, so offset.storage.file.filename is not required. */
export function parseWorkerConfig(props: Record<string, string>, opts: { distributed?: boolean } = {}): WorkerConfig {
  const def = opts.distributed ? DEF.map((d) => (d.name === 'offset.storage.file.filename' ? { ...d, defaultValue: null } : d)) : DEF;
  const c = parseConfig(def, props);
  const listeners = (c.listeners as string[]).map((l) => {
    const m = /^(https?):\/\/(.*)$/i.exec(l);
    if (!m) throw new Error(`Invalid value ${l} for configuration listeners: expected http://host:port`);
    if (m[1]!.toLowerCase() === 'https') throw new Error('listeners: https is not supported yet (use http://)');
    const hp = parseHostPort(m[2]!, 8083, 'listener');
    return { host: hp.host === '' ? '0.0.0.0' : hp.host, port: hp.port };
  });
  return {
    bootstrap: (c['bootstrap.servers'] as string[]).map((s) => parseHostPort(s, 9092, 'bootstrap.servers entry')),
    props,
    offsetFile: (c['offset.storage.file.filename'] as string | null) ?? '',
    offsetFlushIntervalMs: c['offset.flush.interval.ms'] as number,
    listeners,
    clientId: c['client.id'] as string,
    topicTrackingEnable: c['topic.tracking.enable'] as boolean,
    security: securityFromConfig(props),
    ignoredSettings: Object.keys(props).filter((k) => !KNOWN.has(k) && !k.startsWith('key.converter.') && !k.startsWith('value.converter.') && !k.startsWith('producer.') && !k.startsWith('consumer.')),
  };
}
