import { Args, Flags } from '@oclif/core';
import { ConnectCommand } from './base.ts';

export default class ConnectCreate extends ConnectCommand {
  static override summary = 'Create a connector from a config file (.properties or .json) and/or --config key=value.';
  static override description =
    'The file may be a Kafka connector .properties file, or JSON as {"name":…,"config":{…}} or a flat map. ' +
    '--config entries are added on top; --name overrides the name. With --replace an existing connector is reconfigured (PUT …/config).';
  static override examples = [
    'kstream connect create config/connect-file-source.properties',
    'kstream connect create --name my-sink --config connector.class=FileStreamSink --config topics=demo --config file=/tmp/out.txt',
    'kstream connect create sink.json --replace',
  ];
  static override args = { file: Args.string({ required: false, ignoreStdin: true, description: 'Connector config file.' }) };
  static override flags = {
    name: Flags.string({ char: 'n', summary: 'Connector name (else the file’s `name`).' }),
    config: Flags.string({ char: 'c', summary: 'Config key=value (repeatable).', multiple: true, multipleNonGreedy: true }),
    replace: Flags.boolean({ summary: 'Reconfigure the connector if it already exists.', default: false }),
    json: Flags.boolean({ summary: 'Print the worker’s answer as JSON.', default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConnectCreate);
    const { ConnectClient } = await import('../../src/connect/rest/rest-client.ts');
    const { loadConnectorFile } = await import('../../src/connect/runtime/properties.ts');
    const { printJson, colors } = await import('../../src/cli/output.ts');
    const config: Record<string, string> = args.file ? await loadConnectorFile(args.file) : {};
    for (const kv of flags.config ?? []) {
      const i = kv.indexOf('=');
      if (i <= 0) throw new Error(`--config "${kv}": expected key=value`);
      config[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const name = flags.name ?? config.name;
    if (!name) throw new Error('the connector needs a name: give --name or a `name` in the config file');
    config.name = name;
    const client = new ConnectClient(this.connectUrl(flags));
    const r = flags.replace
      ? await client.request<{ name: string; tasks: unknown[] }>('PUT', ConnectClient.path(name, '/config'), config)
      : await client.request<{ name: string; tasks: unknown[] }>('POST', '/connectors', { name, config });
    if (flags.json) return printJson(r.body);
    const verb = r.status === 201 ? 'created' : 'reconfigured';
    process.stdout.write(`${colors().green('✔')} ${verb} connector ${name} (${r.body.tasks.length} task${r.body.tasks.length === 1 ? '' : 's'})\n`);
  }
}
