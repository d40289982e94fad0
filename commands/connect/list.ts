import { Flags } from '@oclif/core';
import { ConnectCommand } from './base.ts';

export default class ConnectList extends ConnectCommand {
  static override summary = 'List the connectors of a Connect worker, with their state.';
  static override examples = ['kstream connect list', 'kstream connect list --connect-url http://connect:8083 --json'];
  static override flags = { json: Flags.boolean({ summary: 'Print the worker’s ?expand=status,info answer as JSON.', default: false }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(ConnectList);
    const { ConnectClient } = await import('../../src/connect/rest/rest-client.ts');
    const { formatTable, printJson } = await import('../../src/cli/output.ts');
    type Entry = { status: { connector: { state: string }; tasks: Array<{ state: string }>; type: string }; info: { config: Record<string, string> } };
    const r = await new ConnectClient(this.connectUrl(flags)).request<Record<string, Entry>>('GET', '/connectors?expand=status&expand=info');
    if (flags.json) return printJson(r.body);
    const rows = Object.entries(r.body).map(([name, e]) => [
      name,
      e.status.type,
      e.status.connector.state,
      `${e.status.tasks.filter((t) => t.state === 'RUNNING').length}/${e.status.tasks.length}`,
      e.info.config['connector.class'] ?? '',
    ]);
    if (rows.length === 0) {
      process.stderr.write('no connectors\n');
      return;
    }
    process.stdout.write(formatTable(['NAME', 'TYPE', 'STATE', 'TASKS RUNNING', 'CLASS'], rows));
  }
}
