// Runs a TypeScript entry of scripts/ (deploy, upload) the way the project runs its other tools:
// bundled by esbuild into .build/, with packages left to node's own resolution.
//   node scripts/deploy.mjs [args]                 → scripts/deploy/main.ts
//   node scripts/deploy.mjs --entry upload [args]  → scripts/upload/main.ts
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
let entry = 'deploy';
if (args[0] === '--entry') {
  entry = args[1];
  args.splice(0, 2);
}
if (!['deploy', 'upload'].includes(entry)) {
  console.error(`unknown entry ${entry}: deploy or upload`);
  process.exit(2);
}
const outfile = join(root, '.build', `${entry}.cjs`);
await build({
  entryPoints: [join(root, 'scripts', entry, 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
const run = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...args], { stdio: 'inherit', cwd: root });
process.exit(run.status ?? 1);
