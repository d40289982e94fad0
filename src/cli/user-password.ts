import { askPassword } from './security-settings.ts';
import { UsageError } from './parse.ts';

/**
 * The password of a SCRAM user being created: --password, else $KSTREAM_USER_PASSWORD, else asked
 * twice on the terminal without echo. (Distinct from KSTREAM_SASL_PASSWORD, which is ours to log in.)
 */
export async function newUserPassword(user: string, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const given = flag ?? env.KSTREAM_USER_PASSWORD;
  if (given !== undefined) {
    if (given === '') throw new UsageError(`the password of ${user} is empty`);
    return given;
  }
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) {
    throw new UsageError(`no password for ${user}: set KSTREAM_USER_PASSWORD or --password, or run on a terminal to be asked`);
  }
  const first = await askPassword(`New password for ${user}:`);
  if (first === '') throw new UsageError(`the password of ${user} is empty`);
  if ((await askPassword(`Again:`)) !== first) throw new UsageError('the passwords do not match');
  return first;
}
