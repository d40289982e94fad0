import type { BrokerSettings } from './handler.ts';
import { ListenerConfigError, resolveListeners, type ListenerSpec } from '../security/listeners.ts';

/**
 * Broker settings by their Kafka names, with Kafka's defaults. Values come from (lowest to highest
 * precedence) the defaults below, a Java-style properties file (`--config-file`), and repeated
 * `--config key=value` flags. Unknown keys and bad values are errors that name the key, so a typo
 * never silently falls back to a default.
 */

export type Kind = 'int' | 'long' | 'bool' | 'string';

interface SettingDef {
  readonly kind: Kind;
  readonly default: number | boolean | string;
  readonly doc: string;
  /** Smallest accepted value for numbers. */
  readonly min?: number;
  /** Allowed values for strings. */
  readonly oneOf?: readonly string[];
  /** The default that means "not set" (Kafka shows such settings with a null value). */
  readonly unset?: number;
}

const MAX_LONG = Number.MAX_SAFE_INTEGER;

export const SETTINGS = {
  'node.id': { kind: 'int', default: 1, min: 0, doc: 'this broker\'s node id (also the controller id)' },
  'num.partitions': { kind: 'int', default: 1, min: 1, doc: 'partitions of an auto-created topic or CreateTopics with -1' },
  'default.replication.factor': { kind: 'int', default: 1, min: 1, doc: 'replication factor reported for topics created with -1' },
  'auto.create.topics.enable': { kind: 'bool', default: true, doc: 'create unknown topics on Metadata/Produce' },
  'delete.topic.enable': { kind: 'bool', default: true, doc: 'allow DeleteTopics' },
  'message.max.bytes': { kind: 'int', default: 1048588, min: 0, doc: 'largest record batch accepted (topic max.message.bytes default)' },
  'socket.request.max.bytes': { kind: 'int', default: 104857600, min: 1, doc: 'largest request frame; larger frames close the connection' },
  'connections.max.idle.ms': { kind: 'long', default: 600000, min: -1, doc: 'close a connection idle (no request in progress, no bytes either way) this long; -1 = never' },
  'max.connections': { kind: 'int', default: 2147483647, min: 0, doc: 'connections served at once; further ones wait (unread) for a slot, as Kafka\'s acceptor does' },
  'max.connections.per.ip': { kind: 'int', default: 2147483647, min: 0, doc: 'connections from one IP address; more are closed at once' },
  'max.connections.per.ip.overrides': { kind: 'string', default: '', doc: 'per-address exceptions to max.connections.per.ip: ip:count,ip:count' },
  'fetch.max.bytes': { kind: 'int', default: 57671680, min: 0, doc: 'cap on the bytes of one Fetch response' },
  'log.retention.hours': { kind: 'int', default: 168, min: -1, doc: 'time retention in hours (7 days)' },
  'log.retention.minutes': { kind: 'int', default: -2, min: -2, unset: -2, doc: 'time retention in minutes (overrides hours when set)' },
  'log.retention.ms': { kind: 'long', default: -2, min: -2, unset: -2, doc: 'time retention in ms (overrides minutes/hours when set; -1 = forever)' },
  'log.retention.bytes': { kind: 'long', default: -1, min: -1, doc: 'size retention per partition (-1 = unlimited)' },
  'log.retention.check.interval.ms': { kind: 'long', default: 300000, min: 1, doc: 'how often retention runs' },
  'log.segment.bytes': { kind: 'int', default: 1073741824, min: 14, doc: 'roll a segment at this size' },
  'log.roll.hours': { kind: 'int', default: 168, min: 1, doc: 'roll a segment at this age' },
  'log.roll.ms': { kind: 'long', default: -2, min: -2, unset: -2, doc: 'roll age in ms (overrides hours when set)' },
  'log.cleanup.policy': { kind: 'string', default: 'delete', oneOf: ['delete', 'compact', 'compact,delete', 'delete,compact'], doc: 'default cleanup.policy of topics' },
  'log.message.timestamp.type': { kind: 'string', default: 'CreateTime', oneOf: ['CreateTime', 'LogAppendTime'], doc: 'default message.timestamp.type of topics' },
  'compression.type': { kind: 'string', default: 'producer', oneOf: ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'], doc: 'default compression.type of topics' },
  'log.flush.interval.messages': { kind: 'long', default: MAX_LONG, min: 1, doc: 'fsync after this many messages (Kafka default: never, left to the OS)' },
  'log.flush.interval.ms': { kind: 'long', default: -1, min: -1, unset: -1, doc: 'fsync at least this often (-1 = unset)' },
  'log.fsync': { kind: 'string', default: 'interval', oneOf: ['always', 'interval', 'never'], doc: 'kstream: fsync mode of appends (always = before acks, interval = on a timer, never = leave to the OS)' },
  'log.fsync.interval.ms': { kind: 'long', default: 1000, min: 1, doc: 'kstream: timer of log.fsync=interval' },
  'group.initial.rebalance.delay.ms': { kind: 'int', default: 3000, min: 0, doc: 'delay of the first rebalance of a new group' },
  'group.min.session.timeout.ms': { kind: 'int', default: 6000, min: 0, doc: 'smallest session timeout accepted from members' },
  'group.max.session.timeout.ms': { kind: 'int', default: 1800000, min: 0, doc: 'largest session timeout accepted from members' },
  'offsets.retention.minutes': { kind: 'int', default: 10080, min: 1, doc: 'keep committed offsets this long after a group empties' },
  'offsets.topic.num.partitions': { kind: 'int', default: 50, min: 1, doc: 'partitions of __consumer_offsets' },
  'offsets.topic.segment.bytes': { kind: 'int', default: 104857600, min: 14, doc: 'segment.bytes of __consumer_offsets (small, so compaction reaches rolled segments)' },
  listeners: { kind: 'string', default: '', doc: 'NAME://host:port,... to listen on, one server each (--host/--port override the first)' },
  'advertised.listeners': { kind: 'string', default: '', doc: 'NAME://host:port,... told to clients of each listener (--advertised-host/--advertised-port override the first)' },
  // Security (src/security/): listeners, TLS, SASL. Any of the ssl.*/sasl.* settings may also be given
  // per listener as listener.name.<listener>.<setting>, and JAAS per mechanism as
  // listener.name.<listener>.<mechanism>.sasl.jaas.config, as in Kafka.
  'listener.security.protocol.map': { kind: 'string', default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', doc: 'listener name → security protocol' },
  'inter.broker.listener.name': { kind: 'string', default: '', doc: 'listener whose address is this broker\'s own (default: the first listener)' },
  'sasl.enabled.mechanisms': { kind: 'string', default: 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512', doc: 'SASL mechanisms offered on SASL listeners (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)' },
  'sasl.jaas.config': { kind: 'string', default: '', doc: 'JAAS config for every SASL listener without a listener.name.<l>.<mechanism>.sasl.jaas.config (PLAIN users: user_<name>="<password>")' },
  'connections.max.reauth.ms': { kind: 'long', default: 0, min: 0, doc: 'KIP-368 session lifetime of SASL connections (0 = forever); expired sessions must re-authenticate' },
  'connection.failed.authentication.delay.ms': { kind: 'int', default: 100, min: 0, doc: 'delay before answering (and closing) a failed authentication' },
  'ssl.keystore.type': { kind: 'string', default: 'JKS', oneOf: ['JKS', 'PKCS12', 'PEM'], doc: 'PEM or PKCS12 (JKS is Java-only: convert it)' },
  'ssl.keystore.location': { kind: 'string', default: '', doc: 'PEM file with the certificate chain and private key, or a PKCS12 file' },
  'ssl.keystore.password': { kind: 'string', default: '', doc: 'password of a PKCS12 keystore' },
  'ssl.keystore.certificate.chain': { kind: 'string', default: '', doc: 'PEM certificate chain given inline (ssl.keystore.type=PEM)' },
  'ssl.keystore.key': { kind: 'string', default: '', doc: 'PEM private key given inline (ssl.keystore.type=PEM)' },
  'ssl.key.password': { kind: 'string', default: '', doc: 'password of an encrypted private key' },
  'ssl.truststore.type': { kind: 'string', default: 'JKS', oneOf: ['JKS', 'PKCS12', 'PEM'], doc: 'PEM (CA certificates that client certificates are checked against)' },
  'ssl.truststore.location': { kind: 'string', default: '', doc: 'PEM file of trusted CA certificates (for ssl.client.auth)' },
  'ssl.truststore.password': { kind: 'string', default: '', doc: 'accepted for compatibility (PEM truststores have no password)' },
  'ssl.truststore.certificates': { kind: 'string', default: '', doc: 'trusted CA certificates in PEM given inline' },
  'ssl.client.auth': { kind: 'string', default: 'none', oneOf: ['none', 'requested', 'required'], doc: 'ask TLS clients for a certificate (mTLS)' },
  'ssl.principal.mapping.rules': { kind: 'string', default: 'DEFAULT', doc: 'certificate subject (RFC 2253) → principal name: DEFAULT or RULE:pattern/replacement/[LU], ...' },
  'ssl.enabled.protocols': { kind: 'string', default: 'TLSv1.2,TLSv1.3', doc: 'TLS versions accepted' },
  'log.dirs': { kind: 'string', default: '', doc: 'data directory (the first of a comma-separated list; --data-dir wins)' },
  'log.dir': { kind: 'string', default: '', doc: 'data directory when log.dirs is not set' },
} as const satisfies Record<string, SettingDef>;

/** Kafka's other names for a setting. */
const ALIASES: Record<string, SettingName> = { 'broker.id': 'node.id' };

/**
 * Settings of a Kafka server.properties that mean nothing to a single-node, plaintext kstream: they
 * are accepted (so Kafka's sample files work) and listed as ignored in a start-up warning.
 */
const IGNORED = new Set([
  'num.network.threads', 'num.io.threads', 'socket.send.buffer.bytes', 'socket.receive.buffer.bytes',
  'num.recovery.threads.per.data.dir', 'offsets.topic.replication.factor', 'transaction.state.log.replication.factor',
  'transaction.state.log.min.isr', 'zookeeper.connect', 'zookeeper.connection.timeout.ms', 'process.roles',
  'controller.quorum.voters', 'controller.quorum.bootstrap.servers', 'controller.listener.names',
  'log.cleaner.enable', 'security.inter.broker.protocol', 'sasl.mechanism.inter.broker.protocol',
  'ssl.endpoint.identification.algorithm', 'ssl.protocol', 'ssl.keymanager.algorithm', 'ssl.trustmanager.algorithm', 'min.insync.replicas',
  'unclean.leader.election.enable', 'replica.lag.time.max.ms', 'num.replica.fetchers', 'auto.leader.rebalance.enable',
]);

export type SettingName = keyof typeof SETTINGS;

const LISTENER_PREFIX = 'listener.name.';

/**
 * Validates `listener.name.<listener>.<setting>`: the setting must be a known one (parsed as such), or
 * `<mechanism>.sasl.jaas.config`.
 */
function parseListenerSetting(key: string, raw: string): string {
  const m = /^listener\.name\.([A-Za-z_][A-Za-z0-9_]*)\.(.+)$/.exec(key);
  if (!m) throw new ConfigError(`${key}: expected listener.name.<listener>.<setting>`);
  const rest = m[2]!;
  if (/^[A-Za-z0-9-]+\.sasl\.jaas\.config$/.test(rest)) return raw.trim();
  if (!(rest in SETTINGS)) throw new ConfigError(`${key}: unknown broker setting "${rest}" for listener ${m[1]}`);
  return String(parseSetting(rest, raw));
}

/** A parsed `PLAINTEXT://host:port` listener; host '' means all interfaces. */
export interface Listener {
  host: string;
  port: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parsed, validated broker settings. */
export class BrokerConfig implements BrokerSettings {
  private readonly values: Map<string, number | boolean | string>;
  /** Keys set explicitly (file or flags), for DescribeConfigs' config source. */
  readonly explicit: ReadonlySet<string>;

  /** Kafka settings that were given but have no meaning here (see IGNORED). */
  readonly ignored: readonly string[];

  constructor(overrides: Record<string, string> = {}) {
    this.values = new Map();
    const explicit = new Set<string>();
    const ignored: string[] = [];
    for (const [name, def] of Object.entries(SETTINGS) as [string, SettingDef][]) this.values.set(name, def.default);
    for (const [given, raw] of Object.entries(overrides)) {
      if (IGNORED.has(given)) {
        ignored.push(given);
        this.ignoredValues.set(given, raw);
        continue;
      }
      if (given.startsWith(LISTENER_PREFIX)) {
        this.perListener.set(given, parseListenerSetting(given, raw));
        continue;
      }
      const name = ALIASES[given] ?? given;
      this.values.set(name, parseSetting(name, raw));
      explicit.add(name);
    }
    this.explicit = explicit;
    this.ignored = ignored;
    // Parse now so a bad listener is refused before anything starts.
    this.listenerSpecs();
  }

  /** Values of the ignored settings (controller.listener.names tells which listeners to skip). */
  readonly ignoredValues = new Map<string, string>();

  /** `listener.name.<listener>.<setting>` values as given (security reads them per listener). */
  readonly perListener = new Map<string, string>();

  /** Every configured listener with its protocol and advertised endpoint (empty when `listeners` is unset). */
  listenerSpecs(): ListenerSpec[] {
    try {
      return resolveListeners({
        listeners: this.string('listeners'),
        advertisedListeners: this.string('advertised.listeners'),
        protocolMap: this.string('listener.security.protocol.map'),
        interBrokerListenerName: this.string('inter.broker.listener.name'),
        controllerListenerNames: this.ignoredValues.get('controller.listener.names'),
      });
    } catch (err) {
      if (err instanceof ListenerConfigError) throw new ConfigError(err.message);
      throw err;
    }
  }

  /** The first listener of `listeners` / `advertised.listeners` (any protocol), or null when unset. */
  listener(name: 'listeners' | 'advertised.listeners'): Listener | null {
    const specs = this.listenerSpecs();
    if (name === 'listeners') return specs[0] ? { host: specs[0].host, port: specs[0].port } : null;
    const adv = specs.find((l) => l.advertised !== null)?.advertised;
    return adv ? { host: adv.host, port: adv.port } : null;
  }

  /** The data dir named by log.dirs (first entry) or log.dir, or null when neither is set. */
  dataDir(): string | null {
    const dirs = this.string('log.dirs').split(',')[0]!.trim();
    if (dirs !== '') return dirs;
    const dir = this.string('log.dir').trim();
    return dir === '' ? null : dir;
  }

  get(name: string): string | number | boolean {
    const v = this.values.get(name);
    if (v === undefined) throw new ConfigError(`unknown broker setting ${name}`);
    return v;
  }

  number(name: string): number {
    const v = this.get(name);
    if (typeof v !== 'number') throw new ConfigError(`broker setting ${name} is not a number`);
    return v;
  }

  boolean(name: string): boolean {
    const v = this.get(name);
    if (typeof v !== 'boolean') throw new ConfigError(`broker setting ${name} is not a boolean`);
    return v;
  }

  string(name: string): string {
    return String(this.get(name));
  }

  /** Every setting as a Kafka-style string with its type, doc and whether it was set explicitly (DescribeConfigs). */
  describe(): { name: string; value: string | null; explicit: boolean; kind: Kind; doc: string }[] {
    return [...this.values].map(([name, v]) => {
      const def = (SETTINGS as Record<string, SettingDef>)[name]!;
      const value = def.unset !== undefined && v === def.unset ? null : String(v);
      return { name, value, explicit: this.explicit.has(name), kind: def.kind, doc: def.doc };
    });
  }

  /** The settings given explicitly (file or flags), as Kafka property strings (storage maps them to topic defaults). */
  explicitProperties(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of this.explicit) out[k] = String(this.values.get(k));
    return out;
  }

  /** Time retention in ms, resolving Kafka's ms > minutes > hours precedence (-1 = forever). */
  retentionMs(): number {
    const ms = this.number('log.retention.ms');
    if (ms !== -2) return ms;
    const minutes = this.number('log.retention.minutes');
    if (minutes !== -2) return minutes < 0 ? -1 : minutes * 60_000;
    const hours = this.number('log.retention.hours');
    return hours < 0 ? -1 : hours * 3_600_000;
  }

  /** Segment roll age in ms (log.roll.ms over log.roll.hours). */
  rollMs(): number {
    const ms = this.number('log.roll.ms');
    return ms !== -2 ? ms : this.number('log.roll.hours') * 3_600_000;
  }
}

/** Parses one value for `name`, throwing ConfigError that names the key and what was expected. */
export function parseSetting(given: string, raw: string): number | boolean | string {
  const name = ALIASES[given] ?? given;
  const def = (SETTINGS as Record<string, SettingDef>)[name];
  if (!def) {
    throw new ConfigError(`unknown broker setting "${name}" (known: ${Object.keys(SETTINGS).join(', ')})`);
  }
  const text = raw.trim();
  switch (def.kind) {
    case 'bool':
      if (/^true$/i.test(text)) return true;
      if (/^false$/i.test(text)) return false;
      throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError(`${name}: expected an integer, got "${raw}"`);
      const n = Number(text);
      const max = def.kind === 'int' ? 2147483647 : MAX_LONG;
      if (!Number.isSafeInteger(n) || n > max) throw new ConfigError(`${name}: ${text} is too large (max ${max})`);
      if (def.min !== undefined && n < def.min) throw new ConfigError(`${name}: ${text} is below the minimum ${def.min}`);
      return n;
    }
    case 'string':
      if (def.oneOf && !def.oneOf.includes(text)) {
        throw new ConfigError(`${name}: expected one of ${def.oneOf.join(', ')}, got "${raw}"`);
      }
      return text;
  }
}

/** Parses `key=value` (as given to --config); the value may contain '='. */
export function parseAssignment(arg: string): [string, string] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new ConfigError(`expected key=value, got "${arg}"`);
  return [arg.slice(0, eq).trim(), arg.slice(eq + 1)];
}

/**
 * Java .properties text → key/value pairs: `key=value`, `key: value` or `key value`; `#`/`!`
 * comments; a trailing backslash continues a line. Enough for Kafka's server.properties files.
 */
export function parseProperties(text: string, source = 'properties'): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    }
    const m = /^([^=:\s]+)\s*(?:[=:]\s*|\s+|$)(.*)$/.exec(line);
    if (!m) throw new ConfigError(`${source}:${i + 1}: cannot parse "${line}"`);
    out[m[1]!] = m[2]!.replace(/\s+$/, '');
  }
  return out;
}

/**
 * Builds the broker config from a properties file's text (optional) and `--config` flags; flags win.
 * Every key is validated, so the error names the first bad key.
 */
export function buildConfig(opts: { fileText?: string; fileName?: string; assignments?: readonly string[]; extra?: Record<string, string> } = {}): BrokerConfig {
  const merged: Record<string, string> = {};
  if (opts.fileText !== undefined) Object.assign(merged, parseProperties(opts.fileText, opts.fileName));
  for (const a of opts.assignments ?? []) {
    const [k, v] = parseAssignment(a);
    merged[k] = v;
  }
  Object.assign(merged, opts.extra ?? {});
  return new BrokerConfig(merged);
}
