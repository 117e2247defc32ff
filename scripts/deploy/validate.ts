import { parseEnv } from 'node:util';
import { readEnv } from '../../core/config/env';
import { applyTierOverrides } from '../../core/config/overrides';
import { PROVIDERS } from '../../core/config/providers';
import { TIERS } from '../../core/config/tiers';
import { validateTiers } from '../../core/config/validate';
import { FUNCTIONS, isFunctionName, MAX_TIMEOUT_SECONDS, MEMORY_SIZES_MB } from '../../core/functions/catalog';
import { readV3Config } from '../../core/payments/v3/config';
import { ENV_VARS, envVarSpec } from './envSpec';
import { buildManifest, serializeManifest, templateVariable, type Manifest } from './manifest';

/** Thrown with every problem found, each naming the field or variable at fault. */
export class DeployConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}:\n- ${problems.join('\n- ')}`);
    this.name = 'DeployConfigError';
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const RUNTIME = /^Nodejs\d+(\.\d+)?$/;
/** CloudBase timers: second minute hour day month weekday year (https://docs.cloudbase.net/cloud-function/timer-trigger). */
const CRON_FIELDS = 7;

function functionProblems(entry: unknown, index: number): string[] {
  if (!isObject(entry)) return [`functions[${index}] is not an object`];
  const name = typeof entry.name === 'string' ? entry.name : `functions[${index}]`;
  const at = `function ${name}`;
  const problems: string[] = [];
  if (typeof entry.name !== 'string' || !isFunctionName(entry.name)) problems.push(`${at}: not in the function catalog (core/functions/catalog.ts)`);
  if (typeof entry.runtime !== 'string' || !RUNTIME.test(entry.runtime)) {
    problems.push(`${at}: runtime must be a CloudBase Node.js runtime such as Nodejs18.15, not ${JSON.stringify(entry.runtime)}`);
  } else if (Number(/^Nodejs(\d+)/.exec(entry.runtime)?.[1]) < 18) {
    problems.push(`${at}: runtime ${entry.runtime} has no global fetch, which the openai SDK needs: use Nodejs18.15 or later`);
  }
  const timeout = entry.timeout;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0 || timeout > MAX_TIMEOUT_SECONDS) {
    problems.push(`${at}: timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}, not ${JSON.stringify(timeout)}`);
  }
  if (!(MEMORY_SIZES_MB as readonly unknown[]).includes(entry.memorySize)) {
    problems.push(`${at}: memorySize must be one of ${MEMORY_SIZES_MB.join(', ')} (MB), not ${JSON.stringify(entry.memorySize)}`);
  }
  if (entry.handler !== 'index.main') problems.push(`${at}: handler must be index.main, not ${JSON.stringify(entry.handler)}`);
  if (entry.type !== undefined && entry.type !== 'HTTP') problems.push(`${at}: type must be "HTTP" or absent (an event function), not ${JSON.stringify(entry.type)}`);
  if (!isObject(entry.envVariables)) problems.push(`${at}: envVariables must be an object`);
  else {
    for (const [key, value] of Object.entries(entry.envVariables)) {
      const variable = typeof value === 'string' ? templateVariable(value) : null;
      if (variable === null) problems.push(`${at}: envVariables.${key} must be {{env.${key}}}: values come from the env file, never from the manifest`);
      else if (variable !== key) problems.push(`${at}: envVariables.${key} names another variable, ${variable}`);
      if (!envVarSpec(key)) problems.push(`${at}: envVariables.${key} is not a variable the functions read (scripts/deploy/envSpec.ts)`);
    }
  }
  const triggers = entry.triggers ?? [];
  if (!Array.isArray(triggers)) problems.push(`${at}: triggers must be an array`);
  else {
    triggers.forEach((trigger: unknown, i) => {
      if (!isObject(trigger) || typeof trigger.name !== 'string' || trigger.type !== 'timer' || typeof trigger.config !== 'string') {
        problems.push(`${at}: triggers[${i}] must be { name, type: "timer", config }`);
      } else if (trigger.config.trim().split(/\s+/).length !== CRON_FIELDS) {
        problems.push(`${at}: trigger ${trigger.name} needs a ${CRON_FIELDS}-field cron (second minute hour day month weekday year), not "${trigger.config}"`);
      }
    });
    if (triggers.length > 1) problems.push(`${at}: CloudBase allows one timer trigger per function`);
  }
  return problems;
}

function collectionProblems(entry: unknown, index: number): string[] {
  if (!isObject(entry) || typeof entry.name !== 'string') return [`collections[${index}] needs a name`];
  const at = `collection ${entry.name}`;
  const problems: string[] = [];
  if (entry.aclTag !== 'ADMINONLY') problems.push(`${at}: aclTag must be ADMINONLY (no client read or write), not ${JSON.stringify(entry.aclTag)}`);
  const rule = entry.securityRule;
  if (!isObject(rule) || rule.read !== false || rule.write !== false) problems.push(`${at}: securityRule must be {"read": false, "write": false}`);
  if (!Array.isArray(entry.indexes)) problems.push(`${at}: indexes must be an array`);
  else {
    entry.indexes.forEach((index: unknown, i) => {
      const ok =
        isObject(index) &&
        typeof index.name === 'string' &&
        typeof index.unique === 'boolean' &&
        Array.isArray(index.keys) &&
        index.keys.length > 0 &&
        index.keys.every((key: unknown) => isObject(key) && typeof key.name === 'string' && (key.direction === '1' || key.direction === '-1'));
      if (!ok) problems.push(`${at}: indexes[${i}] must be { name, unique, keys: [{ name, direction: "1" | "-1" }] }`);
    });
  }
  return problems;
}

/** Checks a manifest read from disk: its shape, its values, and that it is what the catalog generates. */
export function validateManifest(raw: unknown, source = 'cloudbaserc.json'): Manifest {
  if (!isObject(raw)) throw new DeployConfigError(source, ['is not a JSON object']);
  const problems: string[] = [];
  if (raw.version !== '2.0') problems.push('version must be "2.0" (the CLI fills {{env.NAME}} values only then)');
  if (typeof raw.envId !== 'string' || raw.envId === '') problems.push('envId is missing');
  if (!Array.isArray(raw.functions)) problems.push('functions must be an array');
  else raw.functions.forEach((entry, i) => problems.push(...functionProblems(entry, i)));
  if (!Array.isArray(raw.collections)) problems.push('collections must be an array');
  else raw.collections.forEach((entry, i) => problems.push(...collectionProblems(entry, i)));
  if (!Array.isArray(raw.httpAccess)) problems.push('httpAccess must be an array');
  else {
    raw.httpAccess.forEach((entry: unknown, i) => {
      if (!isObject(entry) || typeof entry.name !== 'string' || !isFunctionName(entry.name) || typeof entry.path !== 'string' || !/^\/[A-Za-z0-9/_-]*$/.test(entry.path)) {
        problems.push(`httpAccess[${i}] must be { name: <a catalog function>, path: "/…" }`);
      }
    });
  }
  if (!Array.isArray(raw.messagePush)) problems.push('messagePush must be an array');
  else {
    raw.messagePush.forEach((entry: unknown, i) => {
      if (!isObject(entry) || entry.msgType !== 'event' || typeof entry.event !== 'string' || typeof entry.functionName !== 'string' || !isFunctionName(entry.functionName)) {
        problems.push(`messagePush[${i}] must be { msgType: "event", event, functionName: <a catalog function> }`);
      }
    });
  }
  if (problems.length === 0) {
    const expected = serializeManifest(buildManifest());
    if (serializeManifest(raw as unknown as Manifest) !== expected) {
      problems.push('differs from what core/functions/catalog.ts and scripts/deploy/collections.ts generate: run `npm run deploy -- --write`');
    }
  }
  if (problems.length > 0) throw new DeployConfigError(source, problems);
  return raw as unknown as Manifest;
}

/** The catalog's own limits: a timeout the platform would refuse, or one too short for the function's work. */
export function catalogProblems(): string[] {
  return Object.entries(FUNCTIONS).flatMap(([name, spec]) =>
    spec.timeoutSeconds > 0 && spec.timeoutSeconds <= MAX_TIMEOUT_SECONDS ? [] : [`function ${name}: timeout ${spec.timeoutSeconds} s is outside 1–${MAX_TIMEOUT_SECONDS}`],
  );
}

export type EnvValues = Record<string, string>;

/** Reads a dotenv file's text (Node's own parser, `util.parseEnv`); empty values count as unset. */
export function parseEnvFile(text: string): EnvValues {
  const parsed = parseEnv(text);
  return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.replace(/^configuration: /, '') : String(error);
}

/**
 * Checks an env file for a deployment: every variable required for its PAY_MODE is set, every
 * value is well-formed, the functions' own start-up checks (readEnv, readV3Config, the tiers) pass
 * with it, and a model provider is reachable. Returns every problem; values are never echoed.
 */
export function envProblems(values: EnvValues): string[] {
  const problems: string[] = [];
  const payMode = values.PAY_MODE;
  for (const name of Object.keys(values)) {
    const spec = envVarSpec(name);
    if (!spec) problems.push(`${name} is not a variable this deployment uses (see .env.deploy.example)`);
    else if (spec.target === 'local') problems.push(`${name} is the local runtime's (${spec.purpose}): remove it from the deploy env file`);
  }
  for (const spec of ENV_VARS) {
    const value = values[spec.name];
    const needed = spec.required === 'always' || spec.required === payMode;
    if (value === undefined) {
      if (needed) problems.push(`${spec.name} is not set (${spec.purpose})${spec.required === payMode ? ` and PAY_MODE=${payMode} needs it` : ''}`);
      continue;
    }
    const problem = spec.check?.(value);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) return problems;
  // The functions' own checks, so that a deployment never ships a configuration they refuse at start-up.
  try {
    const env = readEnv(values);
    validateTiers(applyTierOverrides(TIERS, env.tierOverrides), PROVIDERS, env);
  } catch (error) {
    problems.push(errorText(error));
  }
  if (payMode === 'v3') {
    try {
      readV3Config(values);
    } catch (error) {
      problems.push(errorText(error));
    }
  }
  const modelReachable = Boolean(values.LLM_BASE_URL) || PROVIDERS.some((provider) => values[provider.apiKeyEnv] || values[provider.baseURLEnv]);
  if (!modelReachable) {
    problems.push(`no model provider is configured: set LLM_BASE_URL or one of ${PROVIDERS.map((provider) => provider.apiKeyEnv).join(', ')}`);
  }
  return problems;
}

/** The values a function is configured with: the manifest's variables that the env file sets. */
export function functionEnvironment(manifest: Manifest, functionName: string, values: EnvValues): EnvValues {
  const entry = manifest.functions.find((fn) => fn.name === functionName);
  if (!entry) throw new Error(`no function ${functionName} in the manifest`);
  const environment: EnvValues = {};
  for (const [key, template] of Object.entries(entry.envVariables)) {
    const variable = templateVariable(template);
    const value = variable ? values[variable] : undefined;
    if (value !== undefined) environment[key] = value;
  }
  return environment;
}
