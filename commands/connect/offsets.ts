import { Args, Flags } from '@oclif/core';
import { ConnectCommand } from './base.ts';

export default class ConnectOffsets extends ConnectCommand {
  static override summary = 'Show, alter or reset a connector’s offsets (KIP-875; altering needs a stopped connector).';
  static override description =
    'Without flags prints the offsets as the worker reports them. --alter takes the body of PATCH /connectors/{name}/offsets ' +
    '({"offsets":[{"partition":{…},"offset":{…}}]}) inline or as @file; --reset deletes them. Stop the connector first: ' +
    '`kstream connect stop NAME`.';
  static override examples = [
    'kstream connect offsets local-file-source',
    'kstream connect offsets local-file-source --alter \'{"offsets":[{"partition":{"filename":"test.txt"},"offset":{"position":0}}]}\'',
    'kstream connect offsets my-sink --reset',
  ];
  static override args = { name: Args.string({ required: true, ignoreStdin: true, description: 'Connector name.' }) };
  static override flags = {
    alter: Flags.string({ summary: 'New offsets: JSON, or @file with JSON.', exclusive: ['reset'] }),
    reset: Flags.boolean({ summary: 'Reset (delete) the offsets.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConnectOffsets);
    const { ConnectClient } = await import('../../src/connect/rest/rest-client.ts');
    const { printJson } = await import('../../src/cli/output.ts');
    const client = new ConnectClient(this.connectUrl(flags));
    const path = ConnectClient.path(args.name, '/offsets');
    if (flags.reset) {
      const r = await client.request<{ message: string }>('DELETE', path);
      process.stdout.write(`${r.body.message}\n`);
      return;
    }
    if (flags.alter !== undefined) {
      let text = flags.alter;
      if (text.startsWith('@')) {
        const { readFile } = await import('node:fs/promises');
        text = await readFile(text.slice(1), 'utf8');
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw new Error(`--alter: invalid JSON: ${(e as Error).message}`);
      }
      const r = await client.request<{ message: string }>('PATCH', path, body);
      process.stdout.write(`${r.body.message}\n`);
      return;
    }
    printJson((await client.request('GET', path)).body);
  }
}
