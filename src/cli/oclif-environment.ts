/**
 * Settings oclif reads from the environment when @oclif/core is first evaluated. cli.ts imports this
 * module before @oclif/core, so they are in place by then (ES modules evaluate in import order).
 *
 * OCLIF_DISABLE_ENGINE_WARNING: on import, @oclif/core checks the running Node against its own
 * package.json `engines` (Node >= 18) with `semver`, whose index loads ~50 modules: about 10 % of
 * `kstream serve`'s start-up CPU, for a check that cannot fail here. kstream needs Node 24, and
 * bin/node24.js (or the single executable's own Node) already guarantees it. An operator's own value
 * wins.
 */
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
