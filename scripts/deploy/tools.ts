import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

/** The repository's root: the nearest folder up from `start` that holds project.config.json. */
export function repoRoot(start = process.cwd()): string {
  let dir = resolve(start);
  while (!existsSync(join(dir, 'project.config.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no project.config.json above ${start}: run this from the repository`);
    dir = parent;
  }
  return dir;
}

export type ToolFolder = 'wechat' | 'deploy';

export function installCommand(tool: ToolFolder): string {
  return `bash scripts/ensure-tools.sh ${tool}`;
}

export class ToolsMissingError extends Error {
  constructor(tool: ToolFolder, why: string) {
    super(`tools/${tool} ${why}: install it with \`${installCommand(tool)}\``);
    this.name = 'ToolsMissingError';
  }
}

/**
 * A `require` that resolves inside tools/<tool>, after checking that the folder was installed from
 * its current lockfile (scripts/ensure-tools.sh writes the lockfile's hash when it is done).
 */
export function toolRequire(tool: ToolFolder, root = repoRoot()): NodeJS.Require {
  const dir = join(root, 'tools', tool);
  const stamp = join(dir, 'node_modules', '.installed-from-lock');
  if (!existsSync(stamp)) throw new ToolsMissingError(tool, 'is not installed');
  const lockHash = createHash('sha256').update(readFileSync(join(dir, 'package-lock.json'))).digest('hex');
  if (readFileSync(stamp, 'utf8').trim() !== lockHash) throw new ToolsMissingError(tool, 'is older than its package-lock.json');
  return createRequire(join(dir, 'package.json'));
}
