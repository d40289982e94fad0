import type { Cluster } from '../../client/cluster.ts';
import type { Props } from '../api.ts';
import { converterFrom, type Converter } from '../converters/index.ts';
import { DEFAULT_HEADER_CONVERTER, headerConverterFrom, type HeaderConverter } from '../converters/header-converter.ts';
import { TransformationChain } from '../transforms/chain.ts';
import { errorSettings, type ErrorSettings } from './error-handler.ts';
import type { SourceOffsetStore } from './offset-store.ts';
import type { WorkerConfig } from './worker-config.ts';

/** What a running task needs from its worker: identity, configs, the cluster, the offset file, a log. */
export interface TaskEnv {
  connector: string;
  taskId: number;
  /** The connector's config (converters, transforms, errors.*). */
  connectorConfig: Props;
  /** The task's own config from Connector.taskConfigs. */
  taskConfig: Props;
  worker: WorkerConfig;
  cluster: Cluster;
  offsets: SourceOffsetStore;
  log(line: string): void;
}

export type TaskState = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'FAILED';

/** The running half of a task as the herder sees it. */
export interface WorkerTask {
  readonly id: number;
  readonly state: TaskState;
  readonly trace: string | null;
  /** Topics the task has produced to or consumed from (GET /connectors/{name}/topics). */
  readonly topics: ReadonlySet<string>;
  start(): void;
  pause(): void;
  resume(): void;
  /** Stops the task, committing what it can; resolves when it has stopped. */
  stop(): Promise<void>;
}

/** Converters: the connector's `key.converter`/`value.converter`/`header.converter` (and their `.*` settings) when set, the worker's otherwise. */
export function taskConverters(env: TaskEnv): { key: Converter; value: Converter; header: HeaderConverter; keyClass: string; valueClass: string; headerClass: string } {
  const pick = (prefix: 'key.converter' | 'value.converter') => {
    const src = env.connectorConfig[prefix] ? env.connectorConfig : env.worker.props;
    return { conv: converterFrom(src, prefix), cls: src[prefix]!.trim() };
  };
  const k = pick('key.converter');
  const v = pick('value.converter');
  const hsrc = env.connectorConfig['header.converter'] ? env.connectorConfig : env.worker.props;
  const header = headerConverterFrom(hsrc);
  const headerClass = (hsrc['header.converter'] ?? '').trim() || DEFAULT_HEADER_CONVERTER;
  return { key: k.conv, value: v.conv, header, keyClass: k.cls, valueClass: v.cls, headerClass };
}

export function taskPipeline(env: TaskEnv): { chain: TransformationChain; errors: ErrorSettings } {
  return { chain: new TransformationChain(env.connectorConfig), errors: errorSettings(env.connectorConfig) };
}

/** A promise that resolves when `resume()` is called; re-armed on every pause. */
export class Gate {
  private waiting: Promise<void> | null = null;
  private open: (() => void) | null = null;
  get closed(): boolean {
    return this.waiting !== null;
  }
  close(): void {
    if (this.waiting) return;
    this.waiting = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.waiting = null;
    this.open = null;
  }
  wait(): Promise<void> {
    return this.waiting ?? Promise.resolve();
  }
}
