import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.ts';

export default class TopicsDelete extends BaseCommand {
  static override summary = 'Delete topics and all their records (asks first; --yes to skip).';
  static override examples = ['$ kstream topics delete demo', '$ kstream topics delete demo other --yes'];
  static override strict = false;
  static override args = { topic: Args.string({ required: true, ignoreStdin: true, description: 'Topic(s) to delete.' }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.', default: false }),
    'if-exists': Flags.boolean({ summary: 'Succeed quietly when a topic does not exist.', default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(TopicsDelete);
    const topics = argv as string[];
    const { clusterFromFlags } = await import('../../src/cli/connect.ts');
    const { confirmOrRefuse } = await import('../../src/cli/confirm.ts');
    const { Admin } = await import('../../src/client/admin.ts');
    const { KafkaError } = await import('../../src/client/errors.ts');
    const { ErrorCode } = await import('../../src/protocol/error-codes.ts');
    const { colors } = await import('../../src/cli/output.ts');
    const list = topics.join(', ');
    if (!(await confirmOrRefuse(`Delete topic${topics.length > 1 ? "s" : ""} ${list} and all ${topics.length > 1 ? "their" : "its"} records?`, flags.yes, `delete ${list}`))) {
      process.stderr.write('not deleted\n');
      return;
    }
    const cluster = clusterFromFlags(flags);
    this.cleanups.push(() => cluster.close());
    const admin = new Admin(cluster);
    // Every topic is tried: one that is missing must not keep the others from being deleted.
    let failed = 0;
    for (const t of topics) {
      try {
        await admin.deleteTopics([t]);
        process.stderr.write(`${colors().green('✔')} deleted topic ${t}\n`);
      } catch (e) {
        if (flags['if-exists'] && e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) continue;
        if (!(e instanceof KafkaError)) throw e;
        failed++;
        process.stderr.write(`error: ${e.message}\n`);
      }
    }
    if (failed > 0) this.exit(1);
  }
}
