import { FUNCTION_NAMES, FUNCTIONS, NODE_RUNTIME, type FunctionSpec, type TimerTrigger } from '../../core/functions/catalog';
import { COLLECTIONS, type CollectionSpec } from './collections';
import { FUNCTION_ENV_VARS } from './envSpec';

/**
 * The deployment manifest, cloudbaserc.json, in the format of CloudBase's own CLI
 * (https://docs.cloudbase.net/cli-v1/functions/configs): `tcb fn deploy` reads `functions`.
 * Version 2.0 lets values say `{{env.NAME}}`, filled from `.env.<mode>` files
 * (https://docs.cloudbase.net/cli-v1/config, "动态变量"). `collections` is this project's own key:
 * the CLI has no command that creates a collection with indexes, so scripts/deploy applies it
 * through @cloudbase/manager-node.
 */
export interface ManifestFunction {
  name: string;
  /**
   * `HTTP`: an HTTP cloud function, started by its scf_bootstrap (@cloudbase/manager-node
   * lib/function/index.js `configToParams` sends it as `Type`; the CLI's `tcb fn deploy --httpFn`:
   * https://docs.cloudbase.net/cli-v1/functions/deploy). Absent: an event function.
   */
  type?: 'HTTP';
  runtime: string;
  handler: 'index.main';
  timeout: number;
  memorySize: number;
  installDependency: boolean;
  ignore: string[];
  envVariables: Record<string, string>;
  triggers: TimerTrigger[];
}

export interface ManifestCollection {
  name: string;
  aclTag: CollectionSpec['acl'];
  securityRule: CollectionSpec['securityRule'];
  indexes: { name: string; unique: boolean; keys: { name: string; direction: '1' | '-1' }[] }[];
}

/** A CloudBase HTTP access path to a function (https://docs.cloudbase.net/service/access-cloud-function). */
export interface ManifestHttpAccess {
  name: string;
  path: string;
}

/**
 * A message push route (消息推送, cloud-function mode): WeChat's `<MsgType, Event>` to a function
 * (https://developers.weixin.qq.com/miniprogram/dev/wxcloudservice/wxcloud/guide/functions/openapi.md).
 * Set in the console (云开发 → 设置 → 其他设置 → 消息推送): no deploy API of a mini program's own
 * sets it, so `npm run deploy` prints each one as a step to take by hand.
 */
export interface ManifestMessagePush {
  msgType: 'event';
  event: string;
  functionName: string;
}

export interface Manifest {
  version: '2.0';
  envId: string;
  functionRoot: string;
  functions: ManifestFunction[];
  collections: ManifestCollection[];
  /** This project's own key, like `collections`: the HTTP access paths scripts/deploy creates. */
  httpAccess: ManifestHttpAccess[];
  /** This project's own key: the message push routes to set in the console. */
  messagePush: ManifestMessagePush[];
}

export const MANIFEST_FILE = 'cloudbaserc.json';
export const FUNCTION_ROOT = './cloudfunctions';

/** `{{env.NAME}}`: the CLI's template for a value taken from the env file. */
export function envTemplate(name: string): string {
  return `{{env.${name}}}`;
}

const TEMPLATE = /^\{\{env\.([A-Z][A-Z0-9_]*)\}\}$/;

/** The variable a template value names, or null for a literal. */
export function templateVariable(value: string): string | null {
  return TEMPLATE.exec(value)?.[1] ?? null;
}

function manifestFunction(name: (typeof FUNCTION_NAMES)[number]): ManifestFunction {
  const spec: FunctionSpec = FUNCTIONS[name];
  return {
    name,
    ...(spec.httpFunction ? { type: 'HTTP' as const } : {}),
    runtime: NODE_RUNTIME,
    handler: 'index.main',
    timeout: spec.timeoutSeconds,
    memorySize: spec.memoryMb,
    // The bundle (index.js, built by `npm run build`) holds everything but the platform SDK, which
    // the platform installs from the folder's package.json. An HTTP function also needs
    // @cloudbase/functions-framework on disk for its scf_bootstrap; whether the platform installs an
    // HTTP function's dependencies is not settled by the docs, so its node_modules, when installed
    // (docs/DEPLOY.md), is uploaded too.
    installDependency: true,
    ignore: spec.httpFunction ? ['index.ts'] : ['index.ts', 'node_modules', 'node_modules/**'],
    envVariables: Object.fromEntries(FUNCTION_ENV_VARS.map((spec) => [spec.name, envTemplate(spec.name)])),
    triggers: spec.triggers.map((trigger) => ({ ...trigger })),
  };
}

function manifestCollection(spec: CollectionSpec): ManifestCollection {
  return {
    name: spec.name,
    aclTag: spec.acl,
    securityRule: { ...spec.securityRule },
    indexes: spec.indexes.map((index) => ({
      name: index.name,
      unique: index.unique,
      keys: index.keys.map((key) => ({ name: key.field, direction: key.direction === 1 ? '1' : '-1' })),
    })),
  };
}

/** The manifest as the catalog and the collection list say it must be. */
export function buildManifest(): Manifest {
  return {
    version: '2.0',
    envId: envTemplate('CLOUD_ENV_ID'),
    functionRoot: FUNCTION_ROOT,
    functions: FUNCTION_NAMES.map(manifestFunction),
    collections: COLLECTIONS.map(manifestCollection),
    httpAccess: FUNCTION_NAMES.flatMap((name) => {
      const spec: FunctionSpec = FUNCTIONS[name];
      return spec.httpFunction ? [{ name, path: spec.httpFunction.accessPath }] : [];
    }),
    messagePush: FUNCTION_NAMES.flatMap((name) => {
      const spec: FunctionSpec = FUNCTIONS[name];
      return (spec.messagePush ?? []).map((event) => ({ msgType: 'event' as const, event, functionName: name }));
    }),
  };
}

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
