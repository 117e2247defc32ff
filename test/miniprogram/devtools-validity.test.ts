import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const MINIPROGRAM = join(ROOT, 'miniprogram');

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const files = filesUnder(MINIPROGRAM);
const sources = files.filter((path) => /\.(ts|js|wxml|wxss|json)$/.test(path));
const read = (path: string) => readFileSync(path, 'utf8');
const appJson = JSON.parse(read(join(MINIPROGRAM, 'app.json'))) as { pages: string[]; sitemapLocation?: string };

describe('the mini program folder opens in WeChat DevTools', () => {
  test('project.config.json points DevTools at miniprogram/ and compiles TypeScript', () => {
    const project = JSON.parse(read(join(ROOT, 'project.config.json'))) as { miniprogramRoot: string; setting: { useCompilerPlugins: string[] } };
    expect(project.miniprogramRoot).toBe('miniprogram/');
    expect(project.setting.useCompilerPlugins).toContain('typescript');
    expect(existsSync(join(MINIPROGRAM, 'app.ts'))).toBe(true);
    expect(existsSync(join(MINIPROGRAM, appJson.sitemapLocation ?? 'sitemap.json'))).toBe(true);
  });

  test('app.json registers the home, order and history pages, each with its .json, .wxml, .wxss and .ts', () => {
    expect(appJson.pages[0]).toBe('pages/index/index');
    expect(appJson.pages).toEqual(expect.arrayContaining(['pages/index/index', 'pages/order/order', 'pages/history/history']));
    for (const page of appJson.pages) {
      for (const extension of ['json', 'wxml', 'wxss', 'ts']) {
        expect({ page, extension, exists: existsSync(join(MINIPROGRAM, `${page}.${extension}`)) }).toEqual({ page, extension, exists: true });
      }
      const config = JSON.parse(read(join(MINIPROGRAM, `${page}.json`))) as { component?: boolean; usingComponents?: object };
      // Pages are built with Component() so that miniprogram-simulate (and the browser preview) can load
      // them; WeChat then requires `usingComponents` in the page's json.
      expect({ page, component: config.component, usingComponents: typeof config.usingComponents }).toEqual({ page, component: true, usingComponents: 'object' });
      const script = read(join(MINIPROGRAM, `${page}.ts`));
      expect(script).toMatch(/\bComponent\(\{/);
      expect(script).not.toMatch(/\bPage\(\{/);
    }
  });

  test('every page folder under pages/ is registered (no orphan page)', () => {
    const folders = readdirSync(join(MINIPROGRAM, 'pages'));
    for (const folder of folders) expect(appJson.pages).toContain(`pages/${folder}/${folder}`);
  });

  test('templates stay within what miniprogram-simulate renders: no <template>, no external .wxs, no generics, no relations', () => {
    for (const path of sources) {
      const text = read(path);
      if (path.endsWith('.wxml')) {
        expect({ path: relative(ROOT, path), bad: text.match(/<template\b|<wxs\b|<import\b|<include\b|generic:/g) }).toEqual({ path: relative(ROOT, path), bad: null });
      }
      if (path.endsWith('.ts')) expect({ path: relative(ROOT, path), relations: /\brelations\s*:/.test(text) }).toEqual({ path: relative(ROOT, path), relations: false });
    }
    expect(files.filter((path) => path.endsWith('.wxs'))).toEqual([]);
  });

  test('styles use rpx, not px', () => {
    for (const path of sources.filter((file) => file.endsWith('.wxss'))) {
      expect({ path: relative(ROOT, path), px: read(path).match(/\d(?<!r)px\b|[0-9.]+px\b/g) }).toEqual({ path: relative(ROOT, path), px: null });
    }
  });

  test('no file uses node-only or browser-only APIs, and scripts import only files inside miniprogram/', () => {
    const forbidden = [
      /\brequire\(\s*['"](?:node:)?(?:fs|path|http|https|crypto|child_process|os)['"]\s*\)/,
      /\bfrom\s+['"]node:/,
      /\bprocess\.(?:env|argv|exit)\b/,
      /\bdocument\.\w/,
      /\bwindow\.\w/,
      /\blocalStorage\b/,
      /\bXMLHttpRequest\b/,
      /\bfetch\(/,
      /\bBuffer\./,
    ];
    const violations: string[] = [];
    for (const path of sources.filter((file) => /\.(ts|js|wxml)$/.test(file))) {
      const text = read(path);
      const where = relative(ROOT, path);
      for (const pattern of forbidden) if (pattern.test(text)) violations.push(`${where} uses ${pattern.source}`);
      // Declaration files only type the vendored bundle (scripts/vendor-miniprogram.mjs); they never ship.
      if (!path.endsWith('.ts') || path.endsWith('.d.ts')) continue;
      for (const match of text.matchAll(/\b(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
        const specifier = match[1] as string;
        // DevTools resolves relative files only (no npm build step); core/ is server code and stays out.
        const target = resolve(dirname(path), specifier);
        if (!specifier.startsWith('.') || !target.startsWith(MINIPROGRAM + '/') || !(existsSync(`${target}.ts`) || existsSync(`${target}.js`))) {
          violations.push(`${where} imports ${specifier}, which is not a file inside miniprogram/`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  test('nothing secret-looking ships in the bundle', () => {
    const secretPatterns = [
      /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
      /\bsk-[A-Za-z0-9_-]{16,}/,
      /\b[0-9a-fA-F]{32,}\b/,
      /\b[A-Za-z0-9]{32}\b/,
      /(?:api[_-]?key|secret|password|mch[_-]?key|apiv3|private[_-]?key)\s*[:=]\s*['"][^'"]{6,}['"]/i,
      /https?:\/\/(?!127\.0\.0\.1[:/])[\w.-]+\.[a-z]{2,}/i,
    ];
    const found: string[] = [];
    for (const path of sources) {
      const text = read(path);
      // The vendored parser names its own project page in an error message; every other rule applies to it.
      const vendored = relative(MINIPROGRAM, path).startsWith('vendor/');
      for (const pattern of vendored ? secretPatterns.slice(0, -1) : secretPatterns) {
        const match = text.match(pattern);
        if (match) found.push(`${relative(ROOT, path)}: ${match[0].slice(0, 12)}… (${pattern.source})`);
      }
    }
    expect(found).toEqual([]);
  });

  test('the vendored Markdown bundle is exactly what the installed marked and remend produce, and small', () => {
    const check = spawnSync(process.execPath, [join(ROOT, 'scripts', 'vendor-miniprogram.mjs'), '--check'], { encoding: 'utf8' });
    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' });
    expect(statSync(join(MINIPROGRAM, 'vendor', 'markdown.js')).size).toBeLessThan(100 * 1024);
  });
});
