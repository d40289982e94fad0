import { Args, Flags } from '@oclif/core';
import { ConnectCommand } from './base.ts';

export default class ConnectStatus extends ConnectCommand {
  static override summary = 'Show a connector’s state and its tasks’ states (with the first line of any failure).';
  static override examples = ['kstream connect status local-file-source', 'kstream connect status my-sink --json'];
  static override args = { name: Args.string({ required: true, ignoreStdin: true, description: 'Connector name.' }) };
  static override flags = { json: Flags.boolean({ summary: 'Print the worker’s status body as JSON.', default: false }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConnectStatus);
    const { ConnectClient } = await import('../../src/connect/rest/rest-client.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    type State = { state: string; worker_id: string; trace?: string };
    type Status = { name: string; connector: State; tasks: Array<State & { id: number }>; type: string };
    const r = await new ConnectClient(this.connectUrl(flags)).request<Status>('GET', ConnectClient.path(args.name, '/status'));
    if (flags.json) return printJson(r.body);
    const s = r.body;
    const firstLine = (t?: string) => (t ? t.split('\n')[0]! : '');
    process.stdout.write(`Connector: ${s.name}  Type: ${s.type}  State: ${s.connector.state}  Worker: ${s.connector.worker_id}\n`);
    if (s.connector.trace) process.stdout.write(`  ${firstLine(s.connector.trace)}\n`);
    if (s.tasks.length > 0) process.stdout.write(`\n${formatTable(['TASK', 'STATE', 'WORKER', 'ERROR'], s.tasks.map((t) => [t.id, t.state, t.worker_id, firstLine(t.trace)]))}`);
    if (s.connector.state === 'FAILED' || s.tasks.some((t) => t.state === 'FAILED')) process.exitCode = 3;
  }
}
