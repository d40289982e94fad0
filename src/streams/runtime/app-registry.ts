/**
 * What `kstream streams run|describe` needs to see inside a user's app: the KafkaStreams instances it
 * creates (to close them on SIGINT/SIGTERM, or to print their topologies) and the `--config k=v`
 * overrides to apply. Kept on globalThis under a registered symbol so it is one registry even if the
 * app and the CLI were to load two copies of this module.
 */
export interface RegisteredApp {
  state(): string;
  close(): Promise<void>;
  describeTopology(): string;
}

export interface AppRegistry {
  /** Applied over the app's own config (the CLI's --config). */
  overrides: { [key: string]: string };
  /** `streams describe`: start() records the topology and connects to nothing. */
  describeOnly: boolean;
  created: RegisteredApp[];
  started: Set<RegisteredApp>;
}

const KEY = Symbol.for("kstream.streams.app-registry");

export function appRegistry(): AppRegistry {
  const g = globalThis as { [KEY]?: AppRegistry };
  g[KEY] ??= { overrides: {}, describeOnly: false, created: [], started: new Set() };
  return g[KEY];
}
