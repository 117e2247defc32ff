import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { toolRequire } from '../deploy/tools';
import type { CompileProblem } from './wxmlWxss';

/**
 * The part of miniprogram-ci 2.1.42 used here (dist/@types/ci/index.d.ts, dist/@types/project/ciProject.d.ts).
 * - `new Project(options)`: `CIProject.attr()` returns `options.attr()` when it is a function, and only
 *   otherwise asks WeChat's servers for the project's attributes with the private key
 *   (dist/project/ciProject.js, `attr`); the compile check passes `DefaultProjectAttr`.
 * - `getCompiledResult({ project, setting })` compiles JS/TS (Babel, honouring
 *   `useCompilerPlugins: ["typescript"]`), JSON and WXSS, and returns the package's files.
 * - `upload({ project, version, desc, setting, robot })` uploads a version (needs the real key).
 * - `proxy(url)`: every request it makes goes through `url` (dist/utils/request.js).
 */
export interface MiniprogramCi {
  Project: new (options: {
    appid: string;
    type: 'miniProgram';
    projectPath: string;
    privateKey?: string;
    privateKeyPath?: string;
    ignores?: string[];
    attr?: () => Promise<unknown>;
  }) => CiProject;
  DefaultProjectAttr: unknown;
  getCompiledResult(options: { project: CiProject; setting?: Record<string, unknown>; onProgressUpdate?: (task: unknown) => void }): Promise<Record<string, string | Buffer>>;
  upload(options: { project: CiProject; version: string; desc?: string; setting?: Record<string, unknown>; robot?: number; onProgressUpdate?: (task: unknown) => void }): Promise<unknown>;
  proxy(url: string): void;
}

export type CiProject = { readonly __ciProject: unique symbol };

export function loadCi(root?: string): MiniprogramCi {
  return toolRequire('wechat', root)('miniprogram-ci') as MiniprogramCi;
}

/**
 * Runs `work` with miniprogram-ci's working directory set to a cache folder. Its compiler keeps a
 * cache directory named after the project's path, relative to the process's working directory
 * (dist/modules/createSummer.js, `ensureCacheDir`: `path.join("", generateMD5(projectPath + "|summer"))`),
 * which would otherwise leave an empty hex-named folder in the repository. Every path given to it
 * is absolute, so the working directory changes nothing else.
 */
export async function inCiCacheDir<T>(root: string, work: () => Promise<T>): Promise<T> {
  const cacheDir = join(resolve(root), 'node_modules', '.cache', 'miniprogram-ci');
  mkdirSync(cacheDir, { recursive: true });
  const previous = process.cwd();
  process.chdir(cacheDir);
  try {
    return await work();
  } finally {
    process.chdir(previous);
  }
}

export interface ProjectConfig {
  appid: string;
  miniprogramRoot: string;
  setting?: Record<string, unknown>;
}

export function readProjectConfig(projectDir: string): ProjectConfig {
  return JSON.parse(readFileSync(join(projectDir, 'project.config.json'), 'utf8')) as ProjectConfig;
}

/**
 * Refuses every connection that leaves the machine, and records it: the compile check must not
 * depend on WeChat's servers. The one request miniprogram-ci is known to make while compiling
 * (its upload-extension list, dist/utils/white_ext_list.js, which falls back to a built-in list
 * when the request fails) is sent to a closed loopback port through its `proxy` setting.
 */
export function guardNetwork(ci: MiniprogramCi): string[] {
  const attempts: string[] = [];
  ci.proxy('http://127.0.0.1:9');
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the socket as `this`.
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const first = args[0];
    const host = typeof first === 'object' && first !== null ? (first as { host?: string; path?: string }).host ?? ((first as { path?: string }).path ? 'unix-socket' : 'localhost') : typeof args[1] === 'string' ? args[1] : 'localhost';
    if (host !== 'unix-socket' && !['localhost', '127.0.0.1', '::1'].includes(host)) {
      attempts.push(host);
      process.nextTick(() => this.destroy(new Error(`network blocked: ${host}`)));
      return this;
    }
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  return attempts;
}

/** A throwaway RSA key: compiling needs a key to build the Project, never a real one. */
export function throwawayKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
}

export interface CiCompileResult {
  files: string[];
  /** The compiled package's size in bytes: what an upload sends (minified as project.config.json says). */
  bytes: number;
  problems: CompileProblem[];
  networkAttempts: string[];
}

/** Compiles the mini program as DevTools would before an upload, offline. */
export async function compileWithCi(projectDirGiven: string, root?: string): Promise<CiCompileResult> {
  const projectDir = resolve(projectDirGiven);
  const ci = loadCi(root);
  const networkAttempts = guardNetwork(ci);
  const config = readProjectConfig(projectDir);
  const project = new ci.Project({
    appid: config.appid,
    type: 'miniProgram',
    projectPath: projectDir,
    privateKey: throwawayKey(),
    ignores: ['node_modules/**/*'],
    attr: async () => ci.DefaultProjectAttr,
  });
  try {
    const result = await inCiCacheDir(root ?? projectDir, () => ci.getCompiledResult({ project, setting: { useProjectConfig: true }, onProgressUpdate: () => undefined }));
    const bytes = Object.values(result).reduce((sum, content) => sum + (typeof content === 'string' ? Buffer.byteLength(content) : content.length), 0);
    return { files: Object.keys(result), bytes, problems: [], networkAttempts };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const located = /([\w./-]+\.(?:ts|js|json|wxss|wxml))(?::|\()(\d+)(?::|,\s*)(\d+)/.exec(message);
    return {
      files: [],
      bytes: 0,
      problems: [
        {
          tool: 'miniprogram-ci',
          file: located?.[1] ?? config.miniprogramRoot,
          line: located ? Number(located[2]) : null,
          column: located ? Number(located[3]) : null,
          message: message.split('\n').slice(0, 6).join('\n'),
        },
      ],
      networkAttempts,
    };
  }
}
