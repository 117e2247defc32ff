import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { CompileProblem } from './wxmlWxss';

/** What `npm run upload -- --compile-check` prints on its `RESULT {json}` line. */
export interface CheckResult {
  wxml: string[];
  wxss: string[];
  ciFiles: string[];
  /** The compiled package's size, as uploaded (0 when it did not compile). */
  packageBytes: number;
  problems: CompileProblem[];
  networkAttempts: string[];
}

/**
 * `npm run upload -- --compile-check <projectDir>` in a child process, as a developer runs it (the
 * tests and `npm run bench` read its result this way). `result` is null when it printed none, e.g.
 * when WeChat's toolchain is not installed; `stderr` then says why.
 */
export function runCompileCheck(root: string, projectDir: string): { status: number | null; result: CheckResult | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'deploy.mjs'), '--entry', 'upload', '--compile-check', projectDir], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  const line = run.stdout.split('\n').find((text) => text.startsWith('RESULT '));
  return { status: run.status, result: line ? (JSON.parse(line.slice('RESULT '.length)) as CheckResult) : null, stdout: run.stdout, stderr: run.stderr };
}
