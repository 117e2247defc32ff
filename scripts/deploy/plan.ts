import { FUNCTIONS, isFunctionName } from '../../core/functions/catalog';
import { ENV_VARS, envVarSpec } from './envSpec';
import type { Manifest, ManifestCollection } from './manifest';
import type { EnvValues } from './validate';

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text + ' '.repeat(width - text.length);
}

function describeIndex(index: ManifestCollection['indexes'][number]): string {
  const keys = index.keys.map((key) => `${key.name} ${key.direction === '1' ? 'asc' : 'desc'}`).join(', ');
  return `${index.name} (${keys}${index.unique ? ', unique' : ''})`;
}

/** How a variable is shown: a secret only as set or not; anything else with its value. */
function shownValue(name: string, values: EnvValues | null): string {
  const value = values?.[name];
  if (value === undefined) return 'not set';
  return envVarSpec(name)?.secret ? 'set (secret)' : JSON.stringify(value);
}

/**
 * What `npm run deploy` would make the environment look like, written for a person. Offline: it
 * reads nothing from CloudBase, so every item reads "create or update"; deploying is idempotent.
 */
export function renderPlan(manifest: Manifest, values: EnvValues | null, envFileLabel: string): string {
  const lines: string[] = [];
  const envId = values?.CLOUD_ENV_ID ?? '(CLOUD_ENV_ID not set)';
  lines.push(`Deployment plan for CloudBase environment ${envId}`);
  lines.push('Offline: nothing was read from or sent to CloudBase. Each item is created when missing, else updated to match.');
  lines.push('');
  lines.push(`Functions (${manifest.functions.length}), code from ${manifest.functionRoot}/<name> (index.js built by npm run build; wx-server-sdk installed by the platform):`);
  for (const fn of manifest.functions) {
    const callerKind = isFunctionName(fn.name) ? FUNCTIONS[fn.name].caller : null;
    const caller = callerKind === 'client' ? 'mini program' : callerKind === 'platform' ? 'platform' : callerKind === 'http' ? 'HTTP function' : '?';
    const openapi: readonly string[] = isFunctionName(fn.name) ? FUNCTIONS[fn.name].openapi : [];
    const parts = [
      pad(fn.name, 16),
      pad(caller, 13),
      pad(fn.runtime, 12),
      pad(`timeout ${fn.timeout} s`, 14),
      pad(`memory ${fn.memorySize} MB`, 15),
      ...fn.triggers.map((trigger) => `timer ${trigger.name} "${trigger.config}"  `),
      ...(openapi.length > 0 ? [`openapi ${openapi.join(', ')}`] : []),
    ];
    lines.push(`  ${parts.join('').trimEnd()}`);
  }
  for (const access of manifest.httpAccess) {
    lines.push(`  HTTP access path ${access.path} → ${access.name} (run by @cloudbase/functions-framework from its scf_bootstrap; its domain goes in the mini program's request 合法域名)`);
  }
  if (manifest.messagePush.length > 0) {
    lines.push('');
    lines.push(`Message push routes (${manifest.messagePush.length}), set by hand in 云开发 → 设置 → 其他设置 → 消息推送, cloud-function mode (no deploy API sets them):`);
    for (const route of manifest.messagePush) lines.push(`  ${pad(`${route.msgType} / ${route.event}`, 36)}→ ${route.functionName}`);
  }
  const names = new Set(manifest.functions.flatMap((fn) => Object.keys(fn.envVariables)));
  lines.push('');
  lines.push(`Environment variables of every function (${names.size}), from ${envFileLabel}; unset ones are left out and take the code's default:`);
  for (const name of names) {
    const spec = envVarSpec(name);
    const required = spec?.required === 'always' ? 'required' : spec?.required && spec.required !== 'no' ? `required with PAY_MODE=${spec.required}` : 'optional';
    lines.push(`  ${pad(name, 38)}${pad(required, 34)}${shownValue(name, values)}`);
  }
  const deployOnly = ENV_VARS.filter((spec) => spec.target === 'deploy');
  lines.push(`  deploy tool: ${deployOnly.map((spec) => `${spec.name} ${shownValue(spec.name, values)}`).join('; ')}`);
  lines.push('');
  lines.push(`Collections (${manifest.collections.length}), each 仅管理端可读写 (AclTag ADMINONLY, rule {"read": false, "write": false}): no mini program reads or writes them directly:`);
  for (const collection of manifest.collections) {
    const indexes = collection.indexes.length > 0 ? collection.indexes.map(describeIndex).join('; ') : 'only _id';
    lines.push(`  ${pad(collection.name, 18)}${collection.aclTag}  indexes: ${indexes}`);
  }
  return `${lines.join('\n')}\n`;
}
