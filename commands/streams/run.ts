import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class StreamsRun extends BaseCommand {
  static override summary = 'Run a Kafka Streams app (TypeScript or JavaScript) with kstream/streams resolvable.';
  static override description = `Loads APP (Node 24 strips TypeScript types; no build, no npm install: \`import … from "kstream/streams"\` resolves to this kstream). Every KafkaStreams the app starts is closed cleanly on SIGINT or SIGTERM (commit, checkpoint, leave the group). --config overrides the app's own configuration, e.g. --config processing.guarantee=at_least_once. -b sets KSTREAM_BOOTSTRAP_SERVER for the app; the security flags (or KSTREAM_SASL_PASSWORD …) become security.protocol, sasl.*, ssl.* overrides, as do --config security keys. Exits when every started instance has stopped: 0, or 1 if one ended in ERROR.`;
  static override examples = [
    'kstream streams run wordcount.ts',
    'kstream streams run wordcount.ts --config processing.guarantee=at_least_once --config state.dir=/var/lib/wc',
  ];
  static override args = { app: Args.string({ required: true, description: 'The app file (.ts, .mts, .js, .mjs).' }) };
  static override flags = {
    config: Flags.string({ summary: 'A Streams config key=value over the app\'s own (repeatable).', multiple: true, default: [] }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(StreamsRun);
    const { loadApp, parseConfigPairs } = await import('../../src/streams/runtime/app-launcher.ts');
    const { securityConfigOverrides } = await import('../../src/cli/security-settings.ts');
    // --security-protocol/--sasl-*/--tls-* (and KSTREAM_SASL_* …) become Kafka keys; --config wins over them.
    const overrides = { ...securityConfigOverrides(flags), ...parseConfigPairs(flags.config) };
    process.env.KSTREAM_BOOTSTRAP_SERVER = flags['bootstrap-server'];
    let stopping: Promise<void> | null = null;
    const stopAll = (reg: { started: Set<{ close(): Promise<void> }> }) => {
      stopping ??= Promise.all([...reg.started].map((s) => s.close().catch((e: Error) => process.stderr.write(`error: closing: ${e.message}\n`)))).then(() => undefined);
      return stopping;
    };
    const { appRegistry } = await import('../../src/streams/runtime/app-registry.ts');
    const reg = appRegistry();
    const onSignal = () => void stopAll(reg);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await loadApp(args.app, { overrides });
      // The app's top level has run; keep going while any instance it started is still alive.
      const alive = () => [...reg.started].some((s) => s.state() !== 'NOT_RUNNING' && s.state() !== 'ERROR');
      while (alive()) await new Promise((r) => setTimeout(r, 200));
      if (stopping) await stopping;
      if ([...reg.started].some((s) => s.state() === 'ERROR')) this.error('a KafkaStreams instance stopped in state ERROR', { exit: 1 });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
