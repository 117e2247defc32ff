// Bundles the shared core into each deployable cloud function (cloudfunctions/<name>/index.js,
// with the platform SDKs left to the cloud's own install from the folder's package.json:
// wx-server-sdk for the event functions, @cloudbase/node-sdk for the HTTP function streamOrder,
// which @cloudbase/functions-framework runs from its scf_bootstrap) and builds the local runtime and tools.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
/** esbuild's name for the oldest CloudBase Node runtime the functions support (Nodejs18.15). */
const CLOUD_RUNTIME_TARGET = 'node18.15';
const functionsDir = join(root, 'cloudfunctions');
const functionNames = readdirSync(functionsDir).filter((name) => existsSync(join(functionsDir, name, 'index.ts')));

// esbuild's account of what each function bundles, for the tests that keep bundles lean.
const metaDir = join(root, '.build', 'functions-meta');
mkdirSync(metaDir, { recursive: true });
await Promise.all(
  functionNames.map(async (name) => {
    const result = await build({
      entryPoints: [join(functionsDir, name, 'index.ts')],
      outfile: join(functionsDir, name, 'index.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      // The CloudBase runtime the functions need: Nodejs18.15 or newer (docs/LOCAL-RUNTIME.md).
      // `openai` v6 calls the global fetch, which Node 16.13 lacks.
      target: CLOUD_RUNTIME_TARGET,
      external: ['wx-server-sdk', '@cloudbase/node-sdk'],
      minify: true,
      keepNames: true,
      legalComments: 'none',
      logLevel: 'warning',
      metafile: true,
    });
    writeFileSync(join(metaDir, `${name}.json`), JSON.stringify(result.metafile));
  }),
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
// One instance of a cloud function in the local runtime: it may run on the CloudBase runtime's
// Node version (FUNCTIONS_NODE), so it is built for that version like the functions themselves.
await build({
  entryPoints: [join(root, 'local', 'functions', 'instance.ts')],
  outfile: join(root, '.build', 'instance.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: CLOUD_RUNTIME_TARGET,
  packages: 'external',
  logLevel: 'warning',
});
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
