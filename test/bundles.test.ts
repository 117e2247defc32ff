import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Metafile } from 'esbuild';

/**
 * What each cloud function bundles, from esbuild's own account of its inputs (the metafile that
 * scripts/build.mjs writes for every deployable bundle; `npm test` builds before jest). Only
 * `generate` talks to models, so only it may carry the `openai` SDK: in any other function it is
 * dead weight on every cold start.
 */
const ROOT = resolve(__dirname, '..');
const FUNCTIONS_DIR = join(ROOT, 'cloudfunctions');
const META_DIR = join(ROOT, '.build', 'functions-meta');
const functionNames = readdirSync(FUNCTIONS_DIR).filter((name) => existsSync(join(FUNCTIONS_DIR, name, 'index.ts')));

function bundleInputs(name: string): Metafile['inputs'] {
  const file = join(META_DIR, `${name}.json`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  return (JSON.parse(readFileSync(file, 'utf8')) as Metafile).inputs;
}

const fromPackage = (inputs: Metafile['inputs'], pkg: string) => Object.keys(inputs).some((path) => path.includes(`node_modules/${pkg}/`));

let bundled: Record<string, Metafile['inputs']>;

beforeAll(() => {
  bundled = Object.fromEntries(functionNames.map((name) => [name, bundleInputs(name)] as const));
});

test('every cloud function folder is looked at', () => {
  expect(functionNames).toEqual(expect.arrayContaining(['generate', 'reconcile', 'payNotify', 'createOrder']));
});

test('only generate bundles the openai SDK', () => {
  const withOpenai = functionNames.filter((name) => fromPackage(bundled[name] ?? {}, 'openai'));
  expect(withOpenai).toEqual(['generate']);
});
