import { Args, Flags } from '@oclif/core';
import { ConnectCommand } from './base.ts';

export default class ConnectRestart extends ConnectCommand {
  static override summary = 'Restart a connector (optionally its tasks, or only failed ones), or one task.';
  static override examples = ['kstream connect restart my-sink', 'kstream connect restart my-sink --include-tasks --only-failed', 'kstream connect restart my-sink --task 0'];
  static override args = { name: Args.string({ required: true, ignoreStdin: true, description: 'Connector name.' }) };
  static override flags = {
    'include-tasks': Flags.boolean({ summary: 'Restart the tasks too.', default: false }),
    'only-failed': Flags.boolean({ summary: 'Restart only what has FAILED.', default: false }),
    task: Flags.integer({ summary: 'Restart only this task.', min: 0, exclusive: ['include-tasks', 'only-failed'] }),
    json: Flags.boolean({ summary: 'Print the worker’s answer as JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConnectRestart);
    const { ConnectClient } = await import('../../src/connect/rest/rest-client.ts');
    const { colors, printJson } = await import('../../src/cli/output.ts');
    const client = new ConnectClient(this.connectUrl(flags));
    if (flags.task !== undefined) {
      await client.request('POST', ConnectClient.path(args.name, `/tasks/${flags.task}/restart`));
      process.stdout.write(`${colors().green('✔')} restarted task ${args.name}-${flags.task}\n`);
      return;
    }
    const q = `?includeTasks=${flags['include-tasks']}&onlyFailed=${flags['only-failed']}`;
    const r = await client.request<{ tasks: Array<{ id: number; state: string }> } | undefined>('POST', ConnectClient.path(args.name, `/restart${q}`));
    if (flags.json) return printJson(r.body ?? {});
    const tasks = r.body?.tasks.filter((t) => t.state === 'RESTARTING').map((t) => t.id) ?? [];
    process.stdout.write(`${colors().green('✔')} restart requested for connector ${args.name}${tasks.length > 0 ? ` and task(s) ${tasks.join(', ')}` : ''}\n`);
  }
}
