// Bundles the shared core into each deployable cloud function (cloudfunctions/<name>/index.js,
// with wx-server-sdk left to the cloud's own install) and builds the local runtime and tools.
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const functionsDir = join(root, 'cloudfunctions');
const functionNames = readdirSync(functionsDir).filter((name) => existsSync(join(functionsDir, name, 'index.ts')));

await Promise.all(
  functionNames.map((name) =>
    build({
      entryPoints: [join(functionsDir, name, 'index.ts')],
      outfile: join(functionsDir, name, 'index.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      // CloudBase offers Node.js 16 and later for cloud functions.
      target: 'node16',
      external: ['wx-server-sdk'],
      minify: true,
      keepNames: true,
      legalComments: 'none',
      logLevel: 'warning',
    }),
  ),
);

const tools = {
  runtime: 'local/main.ts',
  bench: 'bench/main.ts',
  chaos: 'bench/chaos.ts',
  report: 'scripts/report.ts',
};
await Promise.all(
  Object.entries(tools)
    .filter(([, entry]) => existsSync(join(root, entry)))
    .map(([name, entry]) =>
      build({
        entryPoints: [join(root, entry)],
        outfile: join(root, '.build', `${name}.cjs`),
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        packages: 'external',
        sourcemap: 'inline',
        logLevel: 'warning',
      }),
    ),
);
// The browser preview's shell (local/preview/browser): one script for the page at `/` of the runtime.
await build({
  entryPoints: [join(root, 'local', 'preview', 'browser', 'main.ts')],
  outfile: join(root, '.build', 'preview', 'shell.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2020',
  sourcemap: 'inline',
  logLevel: 'warning',
});
console.log(`built ${functionNames.length} cloud functions, ${Object.keys(tools).length} tools and the preview shell`);
