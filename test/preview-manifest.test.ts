import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { buildManifest, ManifestCache } from '../local/preview/server';

const ROOT = resolve(__dirname, '..');

function writeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'preview-mp-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('what the runtime hands the preview from miniprogram/', () => {
  test('modules are transpiled one by one to CommonJS, page files are adapted, and app.wxss styles pages only', async () => {
    const dir = writeTree({
      'app.json': JSON.stringify({ pages: ['pages/home/home'] }),
      'app.ts': 'App({ globalData: {} });',
      'app.wxss': '.shared { margin: 20rpx }',
      'pages/home/home.json': '{ "component": true, "usingComponents": { "badge": "/components/badge/badge" } }',
      'pages/home/home.wxml': '<view class="shared" style="height: 40rpx">hi</view>',
      'pages/home/home.wxss': 'view { padding: 10rpx }',
      'pages/home/home.ts': "import { greet } from '../../services/greet';\nComponent({ data: { text: greet('x') as string } });",
      'components/badge/badge.json': '{ "component": true }',
      'components/badge/badge.wxml': '<text>badge</text>',
      'components/badge/badge.wxss': '.badge { top: 2rpx }',
      'components/badge/badge.ts': 'Component({});',
      'services/greet.ts': 'export const greet = (name: string): string => `hello ${name}`;',
      'services/greet.test.ts': 'test("x", () => {});',
      'typings/wx.d.ts': 'declare const x: number;',
      'tsconfig.json': '{}',
    });
    const manifest = await buildManifest(dir);
    expect(manifest.errors).toEqual([]);
    expect(manifest.app).toEqual({ pages: ['pages/home/home'] });
    expect(Object.keys(manifest.modules).sort()).toEqual(['app', 'components/badge/badge', 'pages/home/home', 'services/greet']);
    expect(manifest.modules['pages/home/home']).toContain('require("../../services/greet")');
    expect(manifest.modules['services/greet']).toMatch(/module\.exports/);
    expect(manifest.files['pages/home/home.wxss']).toBe('.shared { margin: 10px }\nwx-view { padding: 5px }');
    expect(manifest.files['components/badge/badge.wxss']).toBe('.badge { top: 1px }');
    expect(manifest.files['pages/home/home.wxml']).toBe('<view class="shared" style="height: 20px">hi</view>');
    expect(Object.keys(manifest.files).sort()).toEqual([
      'app.json',
      'app.wxss',
      'components/badge/badge.json',
      'components/badge/badge.wxml',
      'components/badge/badge.wxss',
      'pages/home/home.json',
      'pages/home/home.wxml',
      'pages/home/home.wxss',
    ]);
  });

  test('a file that does not compile is reported by name, and the others still load', async () => {
    const dir = writeTree({
      'app.json': JSON.stringify({ pages: ['pages/a/a'] }),
      'pages/a/a.ts': 'Component({ data: { broken: } });',
      'services/fine.ts': 'export const fine = 1;',
    });
    const manifest = await buildManifest(dir);
    expect(manifest.errors).toHaveLength(1);
    expect(manifest.errors[0]).toMatch(/^pages\/a\/a\.ts: /);
    expect(Object.keys(manifest.modules)).toEqual(['services/fine']);
  });

  test('the mini program itself holds no browser-only code: the preview adds nothing to the bundle WeChat DevTools opens', () => {
    const sources = (folder: string): string[] =>
      readdirSync(folder).flatMap((name) => (statSync(join(folder, name)).isDirectory() ? sources(join(folder, name)) : [join(folder, name)]));
    const browserOnly = /\b(window|document|localStorage|sessionStorage|navigator|location)\.[A-Za-z_$]|\bfetch\(|__mpPreview|local\/preview/;
    const offenders = sources(join(ROOT, 'miniprogram'))
      .filter((path) => /\.(ts|js|wxml)$/.test(path))
      .filter((path) => browserOnly.test(readFileSync(path, 'utf8')));
    expect(offenders).toEqual([]);
  });

  test('the compiled app is built once for a burst of requests, and rebuilt when a file changes', async () => {
    const dir = writeTree({
      'app.json': JSON.stringify({ pages: ['pages/a/a'] }),
      'pages/a/a.ts': 'Component({ data: { n: 1 } });',
    });
    const cache = new ManifestCache(dir);
    const burst = await Promise.all(Array.from({ length: 20 }, () => cache.get()));
    expect(cache.builds).toBe(1);
    expect(new Set(burst).size).toBe(1);
    expect(await cache.get()).toBe(burst[0]);
    expect(cache.builds).toBe(1);

    writeFileSync(join(dir, 'pages/a/a.ts'), 'Component({ data: { n: 22 } });');
    const edited = await cache.get();
    expect(cache.builds).toBe(2);
    expect(edited.modules['pages/a/a']).toContain('n: 22');
    mkdirSync(join(dir, 'services'));
    writeFileSync(join(dir, 'services/added.ts'), 'export const added = true;');
    expect(Object.keys((await cache.get()).modules).sort()).toEqual(['pages/a/a', 'services/added']);
    expect(cache.builds).toBe(3);
  });
});
