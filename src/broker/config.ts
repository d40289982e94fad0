import { BROKER_SETTINGS, brokerSetting, type BrokerSettingDef } from '../config/broker-settings.ts';
import { canonicalValue, type ConfigSourceName, settingError } from '../config/definitions.ts';
import { topicDefaultsFromBroker } from '../config/topic-settings.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { ListenerConfigError, resolveListeners, type ListenerSpec } from '../security/listeners.ts';

/**
 * The broker's settings by their Kafka names (definitions: src/config/broker-settings.ts), in Kafka's
 * layers, highest precedence first:
 *   DYNAMIC_BROKER_CONFIG          altered at runtime for this node (resource name = node id)
 *   DYNAMIC_DEFAULT_BROKER_CONFIG  altered at runtime cluster-wide (resource name "")
 *   STATIC_BROKER_CONFIG           given at start-up (--config-file, then --config flags)
 *   DEFAULT_CONFIG                 Kafka's default
 * Only settings Kafka marks dynamic can be altered at runtime; the dynamic layers are persisted by
 * the binding startBroker installs (dynamic-config-store.ts) and survive restarts. Unknown keys and
 * bad values are errors naming the key, so a typo never silently falls back to a default.
 */

export type DynamicScope = 'cluster' | 'broker';
/** The two dynamic layers, as persisted. */
export interface DynamicConfigSnapshot {
  cluster: Record<string, string>;
  broker: Record<string, string>;
}
/** What happens around a dynamic change: persist first (a failure changes nothing), then apply. */
export interface DynamicConfigBinding {
  persist(snapshot: DynamicConfigSnapshot): Promise<void>;
  applied(): void;
}

export type BrokerValueSource = Exclude<ConfigSourceName, 'UNKNOWN' | 'DYNAMIC_TOPIC_CONFIG' | 'DYNAMIC_BROKER_LOGGER_CONFIG'>;

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
  const def = brokerSetting(rest);
  if (!def) throw new ConfigError(`${key}: unknown broker setting "${rest}" for listener ${m[1]}`);
  const bad = settingError(def, raw);
  if (bad) throw new ConfigError(`${key}: ${bad}`);
  return parseOrThrow(def, raw);
}

/** A parsed `PLAINTEXT://host:port` listener; host '' means all interfaces. */
export interface Listener {
  host: string;
  port: number;
}

/** A bad setting (start-up or runtime); answered INVALID_REQUEST on the wire, as Kafka does. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly errorCode = ErrorCode.INVALID_REQUEST;
}

export class BrokerConfig {
  /** STATIC_BROKER_CONFIG: canonical values of the settings given at start-up. */
  private readonly statics = new Map<string, string>();
  private readonly dynamics: Record<DynamicScope, Map<string, string>> = { cluster: new Map(), broker: new Map() };
  private binding: DynamicConfigBinding | null = null;
  private altering: Promise<unknown> = Promise.resolve();

  /** Keys set at start-up (file or flags), by their canonical names. */
  readonly explicit: ReadonlySet<string>;
  /** Settings given at start-up that change nothing here (their definition says why), as given. */
  readonly ignored: readonly string[];

  constructor(overrides: Record<string, string> = {}) {
    const ignored: string[] = [];
    for (const [given, raw] of Object.entries(overrides)) {
      if (given.startsWith(LISTENER_PREFIX)) {
        this.perListener.set(given, parseListenerSetting(given, raw));
        continue;
      }
      const def = requireSetting(given);
      this.statics.set(def.name, parseOrThrow(def, raw));
      if (def.ignored !== undefined) ignored.push(given);
    }
    this.explicit = new Set(this.statics.keys());
    this.ignored = ignored;
    // Parse now so a bad listener is refused before anything starts.
    this.listenerSpecs();
  }

  /** `listener.name.<listener>.<setting>` values, canonical (security reads them per listener). */
  readonly perListener = new Map<string, string>();

  /**
   * Everything given at start-up as properties (canonical values, listener.name.* included), so a
   * config can be rebuilt with more settings (serve --tls-self-signed).
   */
  givenProperties(): Record<string, string> {
    return { ...Object.fromEntries(this.statics), ...Object.fromEntries(this.perListener) };
  }

  /** Every configured listener with its protocol and advertised endpoint (empty when `listeners` is unset). */
  listenerSpecs(): ListenerSpec[] {
    try {
      return resolveListeners({
        listeners: this.string('listeners'),
        advertisedListeners: this.string('advertised.listeners'),
        protocolMap: this.string('listener.security.protocol.map'),
        interBrokerListenerName: this.string('inter.broker.listener.name'),
        controllerListenerNames: this.setValue('controller.listener.names') ?? undefined,
      });
    } catch (err) {
      if (err instanceof ListenerConfigError) throw new ConfigError(err.message);
      throw err;
    }
  }

  /** The effective value as Kafka prints it (null = not set), and the layer it comes from. */
  resolve(name: string): { value: string | null; source: BrokerValueSource } {
    const def = requireSetting(name);
    for (const [source, v] of this.layers(def.name)) return { value: v, source };
    return { value: def.default, source: 'DEFAULT_CONFIG' };
  }

  /** Every layer that sets `name`, highest precedence first (DescribeConfigs synonyms). */
  layers(name: string): [BrokerValueSource, string][] {
    const out: [BrokerValueSource, string][] = [];
    const b = this.dynamics.broker.get(name);
    if (b !== undefined) out.push(['DYNAMIC_BROKER_CONFIG', b]);
    const c = this.dynamics.cluster.get(name);
    if (c !== undefined) out.push(['DYNAMIC_DEFAULT_BROKER_CONFIG', c]);
    const s = this.statics.get(name);
    if (s !== undefined) out.push(['STATIC_BROKER_CONFIG', s]);
    return out;
  }

  /** The value set at start-up or at runtime, ignoring Kafka's default; null when not set. */
  setValue(name: string): string | null {
    return this.layers(name)[0]?.[1] ?? null;
  }

  get(name: string): string | number | boolean | null {
    const def = requireSetting(name);
    const v = this.resolve(def.name).value;
    if (v === null) return null;
    switch (def.type) {
      case 'BOOLEAN':
        return v === 'true';
      case 'SHORT':
      case 'INT':
      case 'LONG':
      case 'DOUBLE':
        return Number(v);
      default:
        return v;
    }
  }

  /** A numeric setting; Long.MAX_VALUE comes back as a number ≥ MAX_SAFE_INTEGER ("never"). */
  number(name: string): number {
    const v = this.get(name);
    if (typeof v !== 'number') throw new ConfigError(`broker setting ${name} is ${v === null ? 'not set' : 'not a number'}`);
    return v;
  }

  boolean(name: string): boolean {
    const v = this.get(name);
    if (typeof v !== 'boolean') throw new ConfigError(`broker setting ${name} is not a boolean`);
    return v;
  }

  string(name: string): string {
    return String(this.get(name) ?? '');
  }

  /** The dynamic settings of one layer (DescribeConfigs of resource "" lists the cluster layer). */
  dynamic(scope: DynamicScope): Record<string, string> {
    return Object.fromEntries(this.dynamics[scope]);
  }

  /**
   * Loads persisted dynamic layers at start-up. Entries that are no longer valid (unknown, not
   * dynamic, bad value) are dropped and returned as messages, as Kafka ignores invalid dynamic
   * configs with an error log instead of refusing to start.
   */
  loadDynamic(snapshot: DynamicConfigSnapshot): string[] {
    const problems: string[] = [];
    for (const scope of ['cluster', 'broker'] as const) {
      this.dynamics[scope].clear();
      for (const [name, raw] of Object.entries(snapshot[scope] ?? {})) {
        try {
          const [canonical, value] = checkDynamic(name, raw);
          this.dynamics[scope].set(canonical, value);
        } catch (err) {
          problems.push(`dynamic ${scope} config ${name} ignored: ${(err as Error).message}`);
        }
      }
    }
    return problems;
  }

  bindDynamic(binding: DynamicConfigBinding): void {
    this.binding = binding;
  }

  /**
   * Replaces one dynamic layer with `change` (AlterConfigs), or with what `change` computes from the
   * current layer (IncrementalAlterConfigs). Validated as a whole; persisted before it takes effect; serialised so
   * two concurrent alters cannot interleave their persist and apply.
   */
  alterDynamic(
    scope: DynamicScope,
    change: Record<string, string> | ((current: Record<string, string>) => Record<string, string>),
    opts: { validateOnly?: boolean } = {},
  ): Promise<void> {
    const run = async () => {
      // Computed inside the queue, so an incremental change sees the previous change's result.
      const next = typeof change === 'function' ? change(this.dynamic(scope)) : change;
      const nonDynamic = Object.keys(next).filter((k) => brokerSetting(k) !== undefined && !brokerSetting(k)!.dynamic);
      if (nonDynamic.length > 0) throw new ConfigError(`Cannot update these configs dynamically: Set(${nonDynamic.join(', ')})`);
      const parsed = new Map<string, string>();
      for (const [name, raw] of Object.entries(next)) {
        const [canonical, value] = checkDynamic(name, raw);
        parsed.set(canonical, value);
      }
      if (opts.validateOnly) return;
      const snapshot = { cluster: this.dynamic('cluster'), broker: this.dynamic('broker') };
      snapshot[scope] = Object.fromEntries(parsed);
      await this.binding?.persist(snapshot);
      this.dynamics[scope] = parsed;
      this.binding?.applied();
    };
    const result = this.altering.then(run);
    this.altering = result.catch(() => {});
    return result;
  }

  /** Topic-config defaults supplied by broker settings set statically or dynamically (storage's topicDefaults). */
  topicDefaults(): Record<string, string> {
    return topicDefaultsFromBroker((name) => (brokerSetting(name) ? this.setValue(name) : null));
  }

  /** The first listener of `listeners` / `advertised.listeners` (any protocol), or null when unset. */
  listener(name: 'listeners' | 'advertised.listeners'): Listener | null {
    const specs = this.listenerSpecs();
    if (name === 'listeners') return specs[0] ? { host: specs[0].host, port: specs[0].port } : null;
    const adv = specs.find((l) => l.advertised !== null)?.advertised;
    return adv ? { host: adv.host, port: adv.port } : null;
  }

  /** The data dir named by log.dirs (first entry) or an explicitly set log.dir, or null. */
  dataDir(): string | null {
    const dirs = this.string('log.dirs').split(',')[0]!.trim();
    if (dirs !== '') return dirs;
    const dir = this.setValue('log.dir')?.trim() ?? '';
    return dir === '' ? null : dir;
  }

  /** Time retention in ms, resolving Kafka's ms > minutes > hours precedence (-1 = forever). */
  retentionMs(): number {
    return Number(this.topicDefaults()['retention.ms'] ?? this.number('log.retention.hours') * 3_600_000);
  }

  /** Segment roll age in ms (log.roll.ms over log.roll.hours). */
  rollMs(): number {
    return Number(this.topicDefaults()['segment.ms'] ?? this.number('log.roll.hours') * 3_600_000);
  }
}

/** Every broker setting name, in table order (DescribeConfigs of the node lists them all). */
export const BROKER_SETTING_NAMES: readonly string[] = BROKER_SETTINGS.map((d) => d.name);

function requireSetting(given: string): BrokerSettingDef {
  const def = brokerSetting(given);
  if (!def) throw new ConfigError(`unknown broker setting "${given}" (the settings kstream accepts are listed in docs/broker.md)`);
  return def;
}

function parseOrThrow(def: BrokerSettingDef, raw: string): string {
  const bad = settingError(def, raw);
  if (bad) throw new ConfigError(bad);
  const parsed = canonicalValue(def.type, raw);
  return 'value' in parsed ? parsed.value : raw;
}

/** Validates one dynamic setting; returns its canonical name and value. */
function checkDynamic(name: string, raw: string): [string, string] {
  const def = brokerSetting(name);
  if (!def) throw new ConfigError(`Unknown broker config: ${name}`);
  if (!def.dynamic) throw new ConfigError(`Cannot update these configs dynamically: Set(${name})`);
  return [def.name, parseOrThrow(def, raw)];
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

/**
 * serve's start-up warning: the settings given that change nothing on a single node, in the
 * order given, then why (each definition's reason, grouped); null when there are none.
 */
/** Settings marked ignored for a single node that cluster mode (metadata.store) does use. */
const USED_IN_CLUSTER_MODE = new Set([
  'default.replication.factor',
  'unclean.leader.election.enable',
  'offsets.topic.replication.factor',
  'transaction.state.log.replication.factor',
  'auto.leader.rebalance.enable',
  'min.insync.replicas',
  'replica.lag.time.max.ms',
]);

export function ignoredSettingsWarning(config: BrokerConfig): string | null {
  const store = config.string('metadata.store');
  const cluster = store !== '' && store !== 'local';
  const ignored = cluster ? config.ignored.filter((n) => !USED_IN_CLUSTER_MODE.has(n)) : config.ignored;
  if (ignored.length === 0) return null;
  const byReason = new Map<string, string[]>();
  for (const name of ignored) {
    const reason = brokerSetting(name)?.ignored ?? 'not used';
    byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
  }
  const why = [...byReason].map(([reason, names]) => `${names.join(', ')}: ${reason}`).join('; ');
  return `ignoring Kafka settings that do not apply ${cluster ? 'here' : 'to a single node'}: ${ignored.join(', ')} (${why})`;
}
