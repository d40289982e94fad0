import type { Props } from '../api.ts';
import type { ConfigValueInfo } from '../config-def.ts';
import type { RequestSignature } from './distributed/request-signature.ts';
import { RestError, type ConnectorInfo, type ConnectorStateInfo, type StateInfo, type TargetState } from './herder.ts';

/**
 * What the REST server asks of a herder — the standalone one (runtime/herder.ts) or the distributed
 * one (runtime/distributed/distributed-herder.ts). Kafka's Herder interface, as far as the REST API
 * reaches it.
 */

type Awaitable<T> = T | Promise<T>;

export interface HerderApi {
  connectors(): Awaitable<string[]>;
  info(name: string): Awaitable<ConnectorInfo>;
  config(name: string): Awaitable<Props>;
  taskConfigs(name: string): Awaitable<Array<{ id: { connector: string; task: number }; config: Props }>>;
  status(name: string): Awaitable<ConnectorStateInfo>;
  taskStatus(name: string, id: number): Awaitable<StateInfo & { id: number }>;
  activeTopics(name: string): Awaitable<{ topics: string[] }>;
  resetActiveTopics(name: string): Awaitable<void>;
  validate(config: Props): Promise<{ name: string; error_count: number; groups: string[]; configs: ConfigValueInfo[] }>;
  putConnectorConfig(name: string, config: Props, allowReplace: boolean, initial?: TargetState): Promise<{ created: boolean; info: ConnectorInfo }>;
  deleteConnector(name: string): Promise<void>;
  pause(name: string): Awaitable<void>;
  resume(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  restart(name: string, includeTasks: boolean, onlyFailed: boolean): Promise<ConnectorStateInfo | null>;
  restartTask(name: string, id: number): Promise<void>;
  offsets(name: string): Promise<{ offsets: Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> | null }> }>;
  alterOffsets(name: string, body: unknown): Promise<{ message: string }>;
  resetOffsets(name: string): Promise<{ message: string }>;
  plugins(connectorsOnly: boolean): Array<{ class: string; type: string; version?: string }>;
  /** Internal (distributed): a connector's new task configs, sent to the leader (POST /connectors/{name}/tasks). */
  putTaskConfigs?(name: string, configs: Props[], signature?: RequestSignature): Promise<void>;
}

/**
 * Thrown when another worker must handle the request (Kafka's NotLeaderException /
 * NotAssignedException): the REST layer forwards it there, as Kafka's HerderRequestHandler does.
 */
export class RequestTargetError extends RestError {
  readonly targetUrl: string;
  constructor(targetUrl: string, message: string) {
    super(409, message);
    this.targetUrl = targetUrl;
  }
}
