import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { sendJson } from '../http';
import type { PaySimulator } from '../pay/simulator';
import { PREVIEW_HTML } from './shellHtml';
import { wxmlForBrowser, wxssForBrowser } from './transform';

export interface PreviewOptions {
  /** The project's root: `miniprogram/` is compiled from it (again whenever a file changes), `.build/preview/` holds the shell. */
  root: string;
  simulator: PaySimulator;
}

/** What the shell needs to run the mini program: app.json, every module compiled to CommonJS, and the page files. */
export interface PreviewManifest {
  app: Record<string, unknown>;
  /** Module path without extension (e.g. `pages/index/index`, `services/cloud`) → CommonJS source. */
  modules: Record<string, string>;
  /** `.json`, `.wxml` and `.wxss` files by their path inside `miniprogram/`, ready for the browser. */
  files: Record<string, string>;
  /** Compile errors, shown in the preview instead of a blank page. */
  errors: string[];
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const SOURCE_FILE = /\.(ts|js|json|wxml|wxss)$/;

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'miniprogram_npm') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(full));
    else if (SOURCE_FILE.test(entry.name) && !entry.name.endsWith('.d.ts') && !/\.test\.[jt]s$/.test(entry.name) && entry.name !== 'tsconfig.json') out.push(full);
  }
  return out;
}

/**
 * Reads `miniprogram/` as it is now (no build step; ManifestCache rebuilds after an edit, so it shows on reload): TypeScript is
 * transpiled file by file to CommonJS, as WeChat DevTools' TypeScript plugin does, so that modules
 * stay singletons resolved at run time; WXSS and WXML get the browser adaptations of ./transform.
 */
export async function buildManifest(miniprogramDir: string): Promise<PreviewManifest> {
  // esbuild is a development dependency: the preview is a development tool, loaded only when asked for.
  const { transform } = await import('esbuild');
  const manifest: PreviewManifest = { app: {}, modules: {}, files: {}, errors: [] };
  const appWxssPath = join(miniprogramDir, 'app.wxss');
  const appWxss = existsSync(appWxssPath) ? readFileSync(appWxssPath, 'utf8') : '';
  const pageFiles = new Set<string>();
  try {
    manifest.app = JSON.parse(readFileSync(join(miniprogramDir, 'app.json'), 'utf8')) as Record<string, unknown>;
    for (const page of (manifest.app.pages as unknown[] | undefined) ?? []) if (typeof page === 'string') pageFiles.add(page);
  } catch (error) {
    manifest.errors.push(`app.json: ${error instanceof Error ? error.message : String(error)}`);
  }
  await Promise.all(
    listSources(miniprogramDir).map(async (file) => {
      const name = relative(miniprogramDir, file).split(sep).join('/');
      const text = readFileSync(file, 'utf8');
      const base = name.replace(/\.(ts|js|json|wxml|wxss)$/, '');
      try {
        if (name.endsWith('.ts') || name.endsWith('.js')) {
          const result = await transform(text, { loader: name.endsWith('.ts') ? 'ts' : 'js', format: 'cjs', target: 'es2019', sourcefile: name, sourcemap: 'inline' });
          manifest.modules[base] = result.code;
        } else if (name.endsWith('.wxss')) {
          // app.wxss styles every page (as in WeChat); components keep their own styles only.
          const withApp = pageFiles.has(base) && name !== 'app.wxss' ? `${appWxss}\n${text}` : text;
          manifest.files[name] = wxssForBrowser(withApp, base);
        } else if (name.endsWith('.wxml')) {
          manifest.files[name] = wxmlForBrowser(text);
        } else {
          manifest.files[name] = text;
        }
      } catch (error) {
        manifest.errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  return manifest;
}

/** Every source file's path, size and modification time: changes whenever a file is edited, added or removed. */
function sourceSignature(miniprogramDir: string): string {
  const parts: string[] = [];
  for (const file of [join(miniprogramDir, 'app.json'), ...listSources(miniprogramDir)].sort()) {
    try {
      const stat = statSync(file);
      parts.push(`${file}:${stat.size}:${stat.mtimeMs}`);
    } catch {
      parts.push(`${file}:missing`);
    }
  }
  return parts.join('|');
}

/**
 * The compiled mini program, built once and kept until a source file changes (compared by size and
 * modification time on each request, a few dozen stat calls), so that a burst of page loads never
 * runs esbuild more than once. Concurrent requests share one build.
 */
export class ManifestCache {
  private built: { signature: string; manifest: Promise<PreviewManifest> } | null = null;
  /** How many times the manifest was actually compiled (tests). */
  builds = 0;

  constructor(private readonly miniprogramDir: string) {}

  get(): Promise<PreviewManifest> {
    const signature = sourceSignature(this.miniprogramDir);
    if (this.built && this.built.signature === signature) return this.built.manifest;
    this.builds += 1;
    const manifest = buildManifest(this.miniprogramDir);
    const entry = { signature, manifest };
    this.built = entry;
    // A failed build is not kept: the next request tries again.
    manifest.catch(() => {
      if (this.built === entry) this.built = null;
    });
    return manifest;
  }
}

function sendFile(res: ServerResponse, file: string, type: string): void {
  if (!existsSync(file)) {
    sendJson(res, 503, { errMsg: `${relative(process.cwd(), file)} is missing: run npm run build` });
    return;
  }
  const body = readFileSync(file);
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache' });
  res.end(body);
}

/**
 * The browser preview of the mini program, served by the local runtime: `GET /` is the shell (a
 * phone frame plus tools), `/preview/*` its scripts, the mini program's sources and what the
 * simulated WeChat Pay sheet shows about a prepay order.
 */
export function createPreviewHandler(options: PreviewOptions): Handler {
  const miniprogramDir = join(options.root, 'miniprogram');
  const simulateBundle = join(options.root, 'node_modules', 'miniprogram-simulate', 'build.js');
  const shellBundle = join(options.root, '.build', 'preview', 'shell.js');
  const manifests = new ManifestCache(miniprogramDir);

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (req.method !== 'GET') return sendJson(res, 405, { errMsg: `${req.method} ${path} is not allowed` });
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(PREVIEW_HTML);
      return;
    }
    if (path === '/preview/shell.js') return sendFile(res, shellBundle, 'text/javascript; charset=utf-8');
    // miniprogram-simulate's own browser build (webpack, `window.simulate`): the engine of the preview.
    if (path === '/preview/simulate.js') return sendFile(res, simulateBundle, 'text/javascript; charset=utf-8');
    if (path === '/preview/app.json') return sendJson(res, 200, await manifests.get());
    if (path === '/preview/trade') {
      // The payment sheet shows what WeChat Pay knows about the prepay order (amount, description).
      const prepayId = (url.searchParams.get('package') ?? '').replace(/^prepay_id=/, '');
      const trade = prepayId ? (await options.simulator.allTrades()).find((t) => t.prepayId === prepayId) : undefined;
      if (!trade) return sendJson(res, 404, { errMsg: 'requestPayment:fail no such prepay order' });
      return sendJson(res, 200, { outTradeNo: trade.outTradeNo, amountFen: trade.amountFen, description: trade.description, state: trade.state });
    }
    return sendJson(res, 404, { errMsg: `no route GET ${path}` });
  };
}
