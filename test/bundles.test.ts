import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';

/**
 * What each cloud function bundles, from esbuild's own account of its inputs (the metafile), built
 * in memory the way scripts/build.mjs bundles them. Only `generate` talks to models, so only it
 * may carry the `openai` SDK: in any other function it is dead weight on every cold start.
 */
const ROOT = resolve(__dirname, '..');
const FUNCTIONS_DIR = join(ROOT, 'cloudfunctions');
const functionNames = readdirSync(FUNCTIONS_DIR).filter((name) => existsSync(join(FUNCTIONS_DIR, name, 'index.ts')));

async function bundleInputs(name: string): Promise<Metafile['inputs']> {
  const result = await build({
    entryPoints: [join(FUNCTIONS_DIR, name, 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node16',
    external: ['wx-server-sdk'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return result.metafile.inputs;
}

const fromPackage = (inputs: Metafile['inputs'], pkg: string) => Object.keys(inputs).some((path) => path.includes(`node_modules/${pkg}/`));

let bundled: Record<string, Metafile['inputs']>;

beforeAll(async () => {
  bundled = Object.fromEntries(await Promise.all(functionNames.map(async (name) => [name, await bundleInputs(name)] as const)));
});

test('every cloud function folder is looked at', () => {
  expect(functionNames).toEqual(expect.arrayContaining(['generate', 'reconcile', 'payNotify', 'createOrder']));
});

test('only generate bundles the openai SDK', () => {
  const withOpenai = functionNames.filter((name) => fromPackage(bundled[name] ?? {}, 'openai'));
  expect(withOpenai).toEqual(['generate']);
});
