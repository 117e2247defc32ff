import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { configJsonFor, FUNCTION_NAMES } from '../../core/functions/catalog';
import { applyManifest } from './apply';
import { buildManifest, MANIFEST_FILE, serializeManifest } from './manifest';
import { renderPlan } from './plan';
import { installCommand, repoRoot } from './tools';
import { catalogProblems, DeployConfigError, envProblems, parseEnvFile, validateManifest, type EnvValues } from './validate';

/**
 * npm run deploy                 validate, then deploy every function and collection of cloudbaserc.json
 * npm run deploy -- --plan       validate and print what would be created or changed (offline)
 * npm run deploy -- --write      regenerate cloudbaserc.json and cloudfunctions/<name>/config.json from the catalog
 * --env-path <path>              the env file (default .env.deploy); not `--env-file`, which Node 20
 *                                takes as its own option wherever it appears on the command line
 */
interface Options {
  mode: 'deploy' | 'plan' | 'write';
  envFile: string;
}

function parseArgs(argv: readonly string[]): Options {
  let mode: Options['mode'] = 'deploy';
  let envFile = '.env.deploy';
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--plan') mode = 'plan';
    else if (arg === '--write') mode = 'write';
    else if (arg === '--env-path' && argv[i + 1]) envFile = argv[++i] as string;
    else throw new Error(`unknown argument ${arg}: use --plan, --write or --env-path <path>`);
  }
  return { mode, envFile };
}

/** The files the catalog generates, with their expected text. */
export function generatedFiles(root: string): { path: string; text: string }[] {
  return [
    { path: join(root, MANIFEST_FILE), text: serializeManifest(buildManifest()) },
    ...FUNCTION_NAMES.map((name) => ({ path: join(root, 'cloudfunctions', name, 'config.json'), text: `${JSON.stringify(configJsonFor(name), null, 2)}\n` })),
  ];
}

function write(root: string): void {
  for (const file of generatedFiles(root)) {
    const current = existsSync(file.path) ? readFileSync(file.path, 'utf8') : null;
    if (current === file.text) continue;
    writeFileSync(file.path, file.text);
    console.log(`wrote ${relative(root, file.path)}`);
  }
}

/** Reads and checks everything a deployment needs; prints the plan; returns the problems. */
function check(root: string, options: Options): { problems: string[]; values: EnvValues | null; manifest: ReturnType<typeof validateManifest> | null } {
  const problems: string[] = [...catalogProblems()];
  let manifest: ReturnType<typeof validateManifest> | null = null;
  try {
    manifest = validateManifest(JSON.parse(readFileSync(join(root, MANIFEST_FILE), 'utf8')) as unknown);
  } catch (error) {
    problems.push(error instanceof DeployConfigError ? error.message : `${MANIFEST_FILE}: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const file of generatedFiles(root).slice(1)) {
    const current = existsSync(file.path) ? readFileSync(file.path, 'utf8') : null;
    if (current !== file.text) problems.push(`${relative(root, file.path)} differs from the catalog: run \`npm run deploy -- --write\``);
  }
  const envPath = resolve(root, options.envFile);
  let values: EnvValues | null = null;
  if (!existsSync(envPath)) {
    problems.push(`${options.envFile} not found: copy .env.deploy.example to ${options.envFile} and fill it in`);
  } else {
    values = parseEnvFile(readFileSync(envPath, 'utf8'));
    problems.push(...envProblems(values).map((problem) => `${options.envFile}: ${problem}`));
  }
  if (manifest) console.log(renderPlan(manifest, values, options.envFile));
  return { problems, values, manifest };
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  if (options.mode === 'write') {
    write(root);
    return 0;
  }
  const { problems, values, manifest } = check(root, options);
  if (problems.length > 0 || !manifest || !values) {
    console.error(`Not ready to deploy (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n- ${problems.join('\n- ')}`);
    return 1;
  }
  if (options.mode === 'plan') {
    console.log(`${options.envFile} and ${MANIFEST_FILE} are valid. Deploy with: npm run deploy`);
    return 0;
  }
  const missingBundles = FUNCTION_NAMES.filter((name) => !existsSync(join(root, 'cloudfunctions', name, 'index.js')));
  if (missingBundles.length > 0) {
    console.error(`no built bundle for ${missingBundles.join(', ')}: run npm run build`);
    return 1;
  }
  const install = spawnSync('bash', [join(root, 'scripts', 'ensure-tools.sh'), 'deploy'], { cwd: root, stdio: 'inherit' });
  if (install.status !== 0) {
    console.error(`could not install the deploy tools: ${installCommand('deploy')}`);
    return 1;
  }
  await applyManifest(root, manifest, values, (line) => console.log(line));
  console.log('deployed. Subscribe-message permissions (config.json permissions.openapi) take effect after the next upload from WeChat DevTools.');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
