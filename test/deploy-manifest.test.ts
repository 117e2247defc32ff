import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROVIDERS } from '../core/config/providers';
import { GENERATE_FUNCTION_LIMIT_MS } from '../core/config/validate';
import { CLIENT_CALLABLE, configJsonFor, FUNCTION_NAMES, FUNCTIONS, HTTP_FUNCTIONS, TRIGGERED, type FunctionSpec } from '../core/functions/catalog';
import { COLLECTIONS } from '../scripts/deploy/collections';
import { ENV_VARS, FUNCTION_ENV_VARS } from '../scripts/deploy/envSpec';
import { buildManifest, serializeManifest, type Manifest } from '../scripts/deploy/manifest';
import { DeployConfigError, validateManifest } from '../scripts/deploy/validate';

const ROOT = resolve(__dirname, '..');
const FUNCTIONS_DIR = join(ROOT, 'cloudfunctions');
const read = (path: string) => readFileSync(path, 'utf8');

function coreSources(dir = join(ROOT, 'core')): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return coreSources(path);
    return name.endsWith('.ts') ? [{ path, text: read(path) }] : [];
  });
}

const manifestOnDisk = JSON.parse(read(join(ROOT, 'cloudbaserc.json'))) as Manifest;

describe('one function catalog drives the folders, their config.json and the manifest', () => {
  test('every catalog function has a folder, and every folder is in the catalog', () => {
    const folders = readdirSync(FUNCTIONS_DIR).filter((name) => statSync(join(FUNCTIONS_DIR, name)).isDirectory());
    expect(folders.sort()).toEqual([...FUNCTION_NAMES].sort());
    expect([...CLIENT_CALLABLE, ...TRIGGERED, ...HTTP_FUNCTIONS].sort()).toEqual([...FUNCTION_NAMES].sort());
  });

  const EVENT_FUNCTIONS = FUNCTION_NAMES.filter((name) => FUNCTIONS[name].caller !== 'http');

  test.each(EVENT_FUNCTIONS)('%s: its wrapper serves the catalog entry through the matching door', (name) => {
    const wrapper = read(join(FUNCTIONS_DIR, name, 'index.ts'));
    const door = FUNCTIONS[name].caller === 'client' ? 'clientFunction' : 'triggeredFunction';
    expect(wrapper).toContain(`import { ${name} } from '../../core/functions/${name}';`);
    const spec: FunctionSpec = FUNCTIONS[name];
    // A platform function names itself, so that its door admits only the sources the catalog lists for it.
    const args = spec.caller === 'client' ? name : `'${name}', ${name}`;
    expect(wrapper).toMatch(new RegExp(`export const main = ${door}\\(cloud, ${args}\\);`));
    if (spec.caller === 'platform') expect(spec.sources?.length).toBeGreaterThan(0);
    // A client door on a platform function (or the reverse) would expose or refuse the wrong callers.
    const otherDoor = door === 'clientFunction' ? 'triggeredFunction' : 'clientFunction';
    expect(wrapper).not.toContain(otherDoor);
  });

  test.each(FUNCTION_NAMES)('%s: config.json and package.json agree with the catalog', (name) => {
    expect(JSON.parse(read(join(FUNCTIONS_DIR, name, 'config.json')))).toEqual(configJsonFor(name));
    const pkg = JSON.parse(read(join(FUNCTIONS_DIR, name, 'package.json'))) as { name: string; main: string; dependencies: Record<string, string> };
    expect({ name: pkg.name, main: pkg.main }).toEqual({ name, main: 'index.js' });
    if (FUNCTIONS[name].caller === 'http') {
      // The versions the local runtime runs it on (the root's exact pins) are the versions deployed.
      const root = JSON.parse(read(join(ROOT, 'package.json'))) as { dependencies: Record<string, string> };
      expect(pkg.dependencies).toEqual({
        '@cloudbase/functions-framework': root.dependencies['@cloudbase/functions-framework'],
        '@cloudbase/node-sdk': root.dependencies['@cloudbase/node-sdk'],
      });
    } else {
      expect(pkg.dependencies['wx-server-sdk']).toMatch(/^[~^]?4\./);
    }
  });

  test.each(HTTP_FUNCTIONS)('%s: an HTTP function whose scf_bootstrap starts the Functions Framework on port 9000', (name) => {
    const wrapper = read(join(FUNCTIONS_DIR, name, 'index.ts'));
    expect(wrapper).toContain(`import { ${name}Function } from '../../core/functions/${name}';`);
    expect(wrapper).toMatch(new RegExp(`export const main = ${name}Function\\(tcb\\);`));
    const bootstrap = join(FUNCTIONS_DIR, name, 'scf_bootstrap');
    const text = read(bootstrap);
    // https://docs.cloudbase.net/cloud-function/develop/scf-bootstrap: a bash shebang, LF line ends,
    // executable, an absolute Node path, port 9000, writes only under /tmp.
    expect(text.startsWith('#!/bin/bash\n')).toBe(true);
    expect(text).not.toContain('\r');
    expect(statSync(bootstrap).mode & 0o111).not.toBe(0);
    expect(text).toMatch(/^\/var\/lang\/node18\/bin\/node node_modules\/@cloudbase\/functions-framework\/bin\/tcb-ff\.js --port=9000 --logDirname=\/tmp\/logs$/m);
    const entry = manifestOnDisk.functions.find((fn) => fn.name === name);
    expect(entry?.type).toBe('HTTP');
    expect(manifestOnDisk.httpAccess).toContainEqual({ name, path: FUNCTIONS[name].httpFunction?.accessPath });
  });

  test('the message push routes send every virtual payment push to xpayNotify, and each event to one function only', () => {
    const events = manifestOnDisk.messagePush.map((route) => route.event);
    expect(new Set(events).size).toBe(events.length);
    for (const event of ['xpay_goods_deliver_notify', 'xpay_coin_pay_notify', 'xpay_refund_notify', 'xpay_complaint_notify']) {
      expect(manifestOnDisk.messagePush).toContainEqual({ msgType: 'event', event, functionName: 'xpayNotify' });
    }
  });

  test('cloudbaserc.json is exactly what the catalog generates, and is valid', () => {
    expect(read(join(ROOT, 'cloudbaserc.json'))).toBe(serializeManifest(buildManifest()));
    expect(() => validateManifest(manifestOnDisk)).not.toThrow();
    expect(manifestOnDisk.functions.map((fn) => fn.name)).toEqual(FUNCTION_NAMES);
    for (const fn of manifestOnDisk.functions) {
      const spec = FUNCTIONS[fn.name as keyof typeof FUNCTIONS];
      expect({ name: fn.name, timeout: fn.timeout, memorySize: fn.memorySize, triggers: fn.triggers }).toEqual({
        name: fn.name,
        timeout: spec.timeoutSeconds,
        memorySize: spec.memoryMb,
        triggers: spec.triggers,
      });
    }
  });

  test('the limits fit the work: generate outlasts its generation budget; getOrder outlasts its 3 s long-poll', () => {
    expect(FUNCTIONS.generate.timeoutSeconds * 1000).toBeGreaterThan(GENERATE_FUNCTION_LIMIT_MS);
    expect(FUNCTIONS.getOrder.timeoutSeconds).toBeGreaterThan(3);
    expect(FUNCTIONS.reconcile.triggers).toHaveLength(1);
    for (const fn of manifestOnDisk.functions) expect(Number(/^Nodejs(\d+)/.exec(fn.runtime)?.[1])).toBeGreaterThanOrEqual(18);
  });
});

describe('the manifest covers everything the code uses', () => {
  test('every environment variable core/ reads is listed, and every function gets all of them', () => {
    const patterns = [
      /\b(?:env|secrets)\.([A-Z][A-Z0-9_]+)/g,
      /\b(?:env|secrets)\[['"]([A-Z][A-Z0-9_]+)['"]\]/g,
      /\b(?:need|required|positiveNumber|whole|onOff)\((?:env, )?['"]([A-Z][A-Z0-9_]+)['"]/g,
      /\bprocess\.env\.([A-Z][A-Z0-9_]+)/g,
    ];
    const readByCore = new Set<string>();
    for (const { text } of coreSources()) for (const pattern of patterns) for (const match of text.matchAll(pattern)) readByCore.add(match[1] as string);
    for (const provider of PROVIDERS) readByCore.add(provider.apiKeyEnv).add(provider.baseURLEnv);
    expect([...readByCore]).toEqual(expect.arrayContaining(['PAY_MODE', 'OPENID_HASH_SECRET', 'WECHATPAY_API_V3_KEY', 'DASHSCOPE_API_KEY']));
    const listed = new Set(ENV_VARS.map((spec) => spec.name));
    expect([...readByCore].filter((name) => !listed.has(name))).toEqual([]);
    const functionVars = FUNCTION_ENV_VARS.map((spec) => spec.name).sort();
    for (const fn of manifestOnDisk.functions) expect(Object.keys(fn.envVariables).sort()).toEqual(functionVars);
  });

  test('every collection core/ uses is in the manifest, closed to clients', () => {
    const constants = new Map<string, string>();
    const used = new Set<string>();
    const sources = coreSources();
    for (const { text } of sources) for (const match of text.matchAll(/export const ([A-Z_]+) = '([a-z_]+)';/g)) constants.set(match[1] as string, match[2] as string);
    for (const { text } of sources) {
      for (const match of text.matchAll(/\.collection\(([A-Z_]+|'[a-z_]+')\)/g)) {
        const arg = match[1] as string;
        used.add(arg.startsWith("'") ? arg.slice(1, -1) : (constants.get(arg) ?? `unresolved ${arg}`));
      }
    }
    expect([...used]).toEqual(expect.arrayContaining(['orders', 'order_events', 'active_payments']));
    const inManifest = manifestOnDisk.collections.map((collection) => collection.name);
    expect([...used].sort()).toEqual([...inManifest].sort());
    for (const collection of manifestOnDisk.collections) {
      expect({ name: collection.name, aclTag: collection.aclTag, rule: collection.securityRule }).toEqual({
        name: collection.name,
        aclTag: 'ADMINONLY',
        rule: { read: false, write: false },
      });
    }
    expect(COLLECTIONS.length).toBe(manifestOnDisk.collections.length);
  });

  test('orders are indexed by order number (unique), by user and time, and by status and time', () => {
    const orders = manifestOnDisk.collections.find((collection) => collection.name === 'orders');
    const keys = orders?.indexes.map((index) => [index.keys.map((key) => `${key.name}:${key.direction}`).join(','), index.unique]);
    expect(keys).toEqual(
      expect.arrayContaining([
        ['outTradeNo:1', true],
        ['userHash:1,createdAt:-1', false],
        ['status:1,createdAt:1', false],
      ]),
    );
  });
});

describe('a wrong manifest is refused with the field at fault named', () => {
  const edited = (change: (manifest: Manifest) => void): unknown => {
    const copy = JSON.parse(JSON.stringify(manifestOnDisk)) as Manifest;
    change(copy);
    return copy;
  };
  const problemsOf = (raw: unknown): string[] => {
    try {
      validateManifest(raw);
      return [];
    } catch (error) {
      if (error instanceof DeployConfigError) return [...error.problems];
      throw error;
    }
  };
  const getOrder = (manifest: Manifest) => manifest.functions.find((fn) => fn.name === 'getOrder') as Manifest['functions'][number];

  test('a non-positive timeout', () => {
    expect(problemsOf(edited((m) => (getOrder(m).timeout = 0)))).toEqual(['function getOrder: timeout must be a whole number of seconds from 1 to 60, not 0']);
  });

  test('a runtime without fetch', () => {
    expect(problemsOf(edited((m) => (getOrder(m).runtime = 'Nodejs16.13')))).toEqual([
      'function getOrder: runtime Nodejs16.13 has no global fetch, which the openai SDK needs: use Nodejs18.15 or later',
    ]);
  });

  test('a secret written into the manifest', () => {
    expect(problemsOf(edited((m) => (getOrder(m).envVariables.OPENID_HASH_SECRET = 'hunter2')))).toEqual([
      'function getOrder: envVariables.OPENID_HASH_SECRET must be {{env.OPENID_HASH_SECRET}}: values come from the env file, never from the manifest',
    ]);
  });

  test('a collection opened to clients, and a function the catalog does not know', () => {
    const problems = problemsOf(
      edited((m) => {
        (m.collections[0] as { aclTag: string }).aclTag = 'READONLY';
        m.functions.push({ ...getOrder(m), name: 'debugDump' });
      }),
    );
    expect(problems).toEqual([
      'function debugDump: not in the function catalog (core/functions/catalog.ts)',
      'collection orders: aclTag must be ADMINONLY (no client read or write), not "READONLY"',
    ]);
  });

  test('a valid manifest that drifted from the catalog', () => {
    expect(problemsOf(edited((m) => (getOrder(m).timeout = 15)))).toEqual([
      'differs from what core/functions/catalog.ts and scripts/deploy/collections.ts generate: run `npm run deploy -- --write`',
    ]);
  });

  test('the deploy tools stay out of the root install', () => {
    const pkg = JSON.parse(read(join(ROOT, 'package.json'))) as { dependencies: object; devDependencies: object };
    const all = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
    expect(all.filter((name) => /miniprogram-ci|miniprogram-compiler|@cloudbase\/(cli|manager-node)/.test(name))).toEqual([]);
    for (const tool of ['wechat', 'deploy']) expect(existsSync(join(ROOT, 'tools', tool, 'package-lock.json'))).toBe(true);
  });
});
