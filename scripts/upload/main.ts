import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { envVarSpec } from '../deploy/envSpec';
import { repoRoot } from '../deploy/tools';
import { parseEnvFile } from '../deploy/validate';
import type { CheckResult } from './checkProcess';
import { compileWithCi, inCiCacheDir, loadCi, readProjectConfig } from './ci';
import { compileWxmlAndWxss, formatProblem, type CompileProblem } from './wxmlWxss';

/**
 * npm run upload -- [--version 1.2.3] [--desc "…"] [--env-path .env.deploy]
 *   compiles with WeChat's toolchain, then uploads a version with miniprogram-ci
 *   (https://developers.weixin.qq.com/miniprogram/dev/devtools/ci.html); needs MINIPROGRAM_APPID
 *   and MINIPROGRAM_UPLOAD_KEY_PATH, from the environment or the env file.
 * npm run upload -- --compile-check [projectDir]
 *   only the offline compile check (what npm test runs); prints one `RESULT {json}` line.
 */
export async function compileCheck(projectDir: string, root: string): Promise<CheckResult> {
  const config = readProjectConfig(projectDir);
  const miniprogramDir = join(projectDir, config.miniprogramRoot);
  const templates = compileWxmlAndWxss(miniprogramDir, root);
  // wcc and wcsc take a fraction of a second, miniprogram-ci's compile ten or more: a template that
  // does not compile is reported at once, as DevTools stops at it too, and the rest waits for the fix.
  const ci = templates.problems.length > 0 ? { files: [], bytes: 0, problems: [], networkAttempts: [] } : await compileWithCi(projectDir, root);
  const inProject = (problem: CompileProblem): CompileProblem =>
    problem.tool === 'miniprogram-ci' ? problem : { ...problem, file: join(config.miniprogramRoot, problem.file).split('\\').join('/') };
  return {
    wxml: templates.wxml,
    wxss: templates.wxss,
    ciFiles: ci.files,
    packageBytes: ci.bytes,
    problems: [...templates.problems.map(inProject), ...ci.problems],
    networkAttempts: ci.networkAttempts,
  };
}

function setting(name: string, fileValues: Record<string, string>): string | undefined {
  return process.env[name] || fileValues[name];
}

async function upload(root: string, argv: readonly string[]): Promise<number> {
  let version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  let desc = `uploaded by npm run upload at ${new Date().toISOString()}`;
  let envFile = '.env.deploy';
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const next = argv[i + 1];
    if (arg === '--version' && next) version = argv[++i] as string;
    else if (arg === '--desc' && next) desc = argv[++i] as string;
    else if (arg === '--env-path' && next) envFile = argv[++i] as string;
    else throw new Error(`unknown argument ${arg}: use --version, --desc, --env-path or --compile-check`);
  }
  const envPath = resolve(root, envFile);
  const fileValues = existsSync(envPath) ? parseEnvFile(readFileSync(envPath, 'utf8')) : {};
  const problems: string[] = [];
  const appid = setting('MINIPROGRAM_APPID', fileValues);
  const keyPath = setting('MINIPROGRAM_UPLOAD_KEY_PATH', fileValues);
  if (!appid) problems.push(`MINIPROGRAM_APPID is not set (${envVarSpec('MINIPROGRAM_APPID')?.purpose}), in the environment or ${envFile}`);
  else {
    const problem = envVarSpec('MINIPROGRAM_APPID')?.check?.(appid);
    if (problem) problems.push(problem);
  }
  if (!keyPath) problems.push(`MINIPROGRAM_UPLOAD_KEY_PATH is not set (${envVarSpec('MINIPROGRAM_UPLOAD_KEY_PATH')?.purpose}), in the environment or ${envFile}`);
  else if (!existsSync(resolve(root, keyPath))) problems.push(`MINIPROGRAM_UPLOAD_KEY_PATH names ${keyPath}, which does not exist`);
  if (!/^\d+\.\d+\.\d+$/.test(version)) problems.push(`--version must look like 1.2.3, not ${version}`);
  if (problems.length > 0 || !appid || !keyPath) {
    console.error(`Cannot upload:\n- ${problems.join('\n- ')}`);
    return 1;
  }
  const check = await compileCheck(root, root);
  if (check.problems.length > 0) {
    console.error(`The mini program does not compile:\n- ${check.problems.map(formatProblem).join('\n- ')}`);
    return 1;
  }
  const ci = loadCi(root);
  const project = new ci.Project({
    appid,
    type: 'miniProgram',
    projectPath: root,
    privateKeyPath: resolve(root, keyPath),
    ignores: ['node_modules/**/*'],
  });
  await inCiCacheDir(root, () => ci.upload({ project, version, desc, setting: { useProjectConfig: true }, robot: 1, onProgressUpdate: () => undefined }));
  console.log(`uploaded version ${version} of ${appid}: set it as the trial or submit it for review in the admin console`);
  return 0;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const root = repoRoot();
  if (argv[0] === '--compile-check') {
    const projectDir = resolve(argv[1] ?? root);
    const result = await compileCheck(projectDir, root);
    for (const problem of result.problems) console.error(formatProblem(problem));
    console.log(`RESULT ${JSON.stringify(result)}`);
    return result.problems.length === 0 && result.networkAttempts.length === 0 ? 0 : 1;
  }
  return upload(root, argv);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
