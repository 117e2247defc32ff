/**
 * The type check and the linter, as part of `npm test`. They run here, as jest suites, rather than
 * before jest: they then use the CPU the runtime suites leave idle while they wait on their runtime
 * processes and the browser, instead of holding up the whole run for half a minute.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '..');

function npmRun(script: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile('npm', ['run', '--silent', script], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

// Both start at once (each keeps one core busy at most); each test waits for its own.
let typecheck: Promise<{ code: number; output: string }>;
let lint: Promise<{ code: number; output: string }>;
beforeAll(() => {
  typecheck = npmRun('typecheck');
  lint = npmRun('lint');
});

describe('the code as written', () => {
  test('type-checks (npm run typecheck: the functions, the runtime, the tests, the mini program, the preview)', async () => {
    expect(await typecheck).toEqual({ code: 0, output: '' });
  });

  test('passes the linter (npm run lint: typescript-eslint with type-aware rules)', async () => {
    expect(await lint).toEqual({ code: 0, output: '' });
  });
});
