import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { toolRequire } from '../scripts/deploy/tools';
import { runCompileCheck, type CheckResult } from '../scripts/upload/checkProcess';
import { compileWxmlAndWxss, type CompileProblem } from '../scripts/upload/wxmlWxss';

// WeChat's own toolchain (miniprogram-ci, miniprogram-compiler's wcc/wcsc) lives in tools/wechat,
// outside the root install. When it is missing this fails with the command that installs it.
const ROOT = resolve(__dirname, '..');
const appJson = JSON.parse(readFileSync(join(ROOT, 'miniprogram', 'app.json'), 'utf8')) as { pages: string[] };

/** `npm run upload -- --compile-check <dir>`, in a child process as a developer would run it. */
function compileCheck(projectDir: string): { status: number | null; result: CheckResult; stderr: string } {
  const { status, result, stdout, stderr } = runCompileCheck(ROOT, projectDir);
  if (!result) throw new Error(`the compile check printed no result (status ${status}):\n${stderr}\n${stdout}`);
  return { status, result, stderr };
}

/** A copy of the project (project.config.json and miniprogram/) that a test may break. */
function copyOfProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wechat-compile-'));
  cpSync(join(ROOT, 'project.config.json'), join(dir, 'project.config.json'));
  cpSync(join(ROOT, 'miniprogram'), join(dir, 'miniprogram'), { recursive: true });
  return dir;
}

function lineCount(path: string): number {
  return readFileSync(path, 'utf8').split('\n').length;
}

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

beforeAll(() => {
  toolRequire('wechat', ROOT);
});

describe("WeChat's compilers accept the mini program", () => {
  test('wcc compiles every page template and wcsc every style sheet; miniprogram-ci compiles the TypeScript, offline', () => {
    const { status, result, stderr } = compileCheck(ROOT);
    expect({ problems: result.problems, stderr: status === 0 ? '' : stderr }).toEqual({ problems: [], stderr: '' });
    expect(result.networkAttempts).toEqual([]);
    expect(status).toBe(0);
    for (const page of appJson.pages) {
      expect(result.wxml).toContain(`${page}.wxml`);
      expect(result.wxss).toContain(`${page}.wxss`);
      // The TypeScript page became the JavaScript WeChat runs.
      expect(result.ciFiles).toContain(`${page}.js`);
    }
    expect(result.ciFiles).toEqual(expect.arrayContaining(['app.js', 'app.json']));
    // The size an upload would send (npm run bench prints it against the package budget).
    expect(result.packageBytes).toBeGreaterThan(20 * 1024);
  });
});

describe('a compile error names its file and line', () => {
  test('an unclosed WXML tag fails wcc at the broken line of that page', () => {
    const dir = copyOfProject();
    copies.push(dir);
    const page = join(dir, 'miniprogram', 'pages', 'order', 'order.wxml');
    const before = lineCount(page);
    appendFileSync(page, '\n<view>\n  <text>unclosed\n</view>\n');
    const { problems } = compileWxmlAndWxss(join(dir, 'miniprogram'), ROOT);
    expect(problems).toHaveLength(1);
    const [problem] = problems as [CompileProblem];
    expect(problem.tool).toBe('wcc');
    expect(problem.file).toBe('pages/order/order.wxml');
    // `</view>` closes a <view> while <text> is open: the third appended line.
    expect(problem.line).toBe(before + 3);
    expect(problem.message).toMatch(/end-tag/);
  });

  test('a WXSS rule with a stray brace fails wcsc at its line', () => {
    const dir = copyOfProject();
    copies.push(dir);
    const sheet = join(dir, 'miniprogram', 'pages', 'index', 'index.wxss');
    const before = lineCount(sheet);
    appendFileSync(sheet, '\n.broken {\n  color: red;\n  { margin: 0; }\n');
    const { problems } = compileWxmlAndWxss(join(dir, 'miniprogram'), ROOT);
    expect(problems).toHaveLength(1);
    const [problem] = problems as [CompileProblem];
    expect(problem.tool).toBe('wcsc');
    expect(problem.file).toBe('pages/index/index.wxss');
    expect(problem.line).toBe(before + 3);
  });

  test('the compile check run by npm test fails on a broken copy and prints file:line', () => {
    const dir = copyOfProject();
    copies.push(dir);
    const page = join(dir, 'miniprogram', 'pages', 'history', 'history.wxml');
    const before = lineCount(page);
    appendFileSync(page, '\n<view><text>never closed</view>\n');
    const { status, result, stderr } = compileCheck(dir);
    expect(status).toBe(1);
    expect(result.problems.map((problem) => [problem.file, problem.line])).toContainEqual(['miniprogram/pages/history/history.wxml', before + 1]);
    expect(stderr).toContain(`miniprogram/pages/history/history.wxml:${before + 1}`);
    // A template error is reported without waiting for miniprogram-ci's compile.
    expect(result.ciFiles).toEqual([]);
  });
});
