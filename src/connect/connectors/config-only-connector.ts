import type { ConfigDef } from '../config-def.ts';
import { parseConfig } from '../config-def.ts';
import type { ConnectorClass, Props, SinkTask, SourceTask } from '../api.ts';
import { KAFKA_VERSION } from '../version.ts';

/**
 * A connector whose only connector-side work is validating its config and handing the same props to
 * each task — the shape of Kafka's FileStream connectors and of most sinks. Connectors that discover
 * work at start (the JDBC source lists tables and splits them across tasks) implement Connector
 * themselves.
 */
export interface ConfigOnlyConnectorSpec {
  readonly className: string;
  readonly type: 'source' | 'sink';
  readonly config: ConfigDef;
  /** Extra validation after parseConfig (cross-field rules); throws ConfigException. */
  readonly validate?: (parsed: ReturnType<typeof parseConfig>) => unknown;
  /**
   * 'single': one task whatever tasks.max says (one input stream or one listening port);
   * 'max-tasks': tasks.max identical tasks (sinks: the consumer group splits the partitions).
   */
  readonly tasks: 'single' | 'max-tasks';
  readonly createTask: () => SourceTask | SinkTask;
}

export function configOnlyConnector(spec: ConfigOnlyConnectorSpec): ConnectorClass {
  return {
    className: spec.className,
    type: spec.type,
    create: () => {
      let props: Props = {};
      return {
        type: spec.type,
        version: () => KAFKA_VERSION,
        config: () => spec.config,
        start(p: Props): void {
          const parsed = parseConfig(spec.config, p);
          spec.validate?.(parsed);
          props = p;
        },
        taskConfigs: (maxTasks: number): Props[] =>
          spec.tasks === 'single' ? [{ ...props }] : Array.from({ length: maxTasks }, () => ({ ...props })),
        stop(): void {},
        createTask: spec.createTask,
      };
    },
  };
}
