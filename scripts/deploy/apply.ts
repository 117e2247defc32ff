import { join } from 'node:path';
import type { Manifest, ManifestCollection, ManifestFunction, ManifestHttpAccess } from './manifest';
import { toolRequire } from './tools';
import { functionEnvironment, type EnvValues } from './validate';

/**
 * The part of @cloudbase/manager-node 5.6 that a deployment uses, typed here at the boundary
 * (its own declarations live in tools/deploy, outside the root's type check):
 * - `functions.createFunction({ func, functionRootPath, force: true })` creates the function, or,
 *   when it exists, updates its code, then its configuration, then its triggers
 *   (lib/function/index.js, createFunction);
 * - `database.createCollectionIfNotExists(name)`, `database.checkIndexExists(name, index)` and
 *   `database.updateCollection(name, { CreateIndexes })` (lib/database/index.js; the index shape is
 *   the `MgoKeySchema` of the tcb API's UpdateTable, whose `Direction` is the string "1" or "-1");
 * - `commonService('tcb', '2018-06-08').call({ Action, Param })` for `ModifyDatabaseACL` /
 *   `DescribeDatabaseACL` (https://cloud.tencent.com/document/api/876/34819, /34821).
 */
interface ManagerNode {
  functions: {
    createFunction(param: { func: ManagerFunction; functionRootPath: string; force: boolean }): Promise<unknown>;
  };
  database: {
    createCollectionIfNotExists(name: string): Promise<{ IsCreated: boolean }>;
    checkIndexExists(collection: string, index: string): Promise<{ Exists: boolean }>;
    updateCollection(
      collection: string,
      info: { CreateIndexes: { IndexName: string; MgoKeySchema: { MgoIndexKeys: { Name: string; Direction: string }[]; MgoIsUnique: boolean } }[] },
    ): Promise<unknown>;
  };
  commonService(service: string, version: string): { call(options: { Action: string; Param: Record<string, unknown> }): Promise<Record<string, unknown>> };
  /**
   * CloudBase HTTP access (lib/access/index.js): `getAccessList({ name })` is DescribeCloudBaseGWAPI,
   * answering `APISet`; `createAccess({ name, path })` is CreateCloudBaseGWAPI with `Type: 1`, a
   * cloud function (the SDK's default).
   */
  access: {
    getAccessList(options: { name?: string; path?: string }): Promise<{ APISet?: { Name?: string; Path?: string }[] }>;
    createAccess(options: { name: string; path: string }): Promise<unknown>;
  };
}

interface ManagerFunction {
  name: string;
  type?: 'HTTP';
  runtime: string;
  handler: string;
  timeout: number;
  memorySize: number;
  installDependency: boolean;
  ignore: string[];
  envVariables: Record<string, string>;
  triggers: { name: string; type: string; config: string }[];
}

type ManagerConstructor = new (config: { secretId: string; secretKey: string; token?: string; envId: string }) => ManagerNode;

export type Report = (line: string) => void;

async function deployFunction(manager: ManagerNode, root: string, manifest: Manifest, fn: ManifestFunction, values: EnvValues, report: Report): Promise<void> {
  report(`function ${fn.name}: deploying (${fn.runtime}, timeout ${fn.timeout} s, memory ${fn.memorySize} MB)`);
  await manager.functions.createFunction({
    func: { ...fn, envVariables: functionEnvironment(manifest, fn.name, values) },
    functionRootPath: join(root, manifest.functionRoot),
    force: true,
  });
  report(`function ${fn.name}: done`);
}

async function deployCollection(manager: ManagerNode, envId: string, collection: ManifestCollection, report: Report): Promise<void> {
  const created = await manager.database.createCollectionIfNotExists(collection.name);
  report(`collection ${collection.name}: ${created.IsCreated ? 'created' : 'exists'}`);
  for (const index of collection.indexes) {
    const { Exists } = await manager.database.checkIndexExists(collection.name, index.name);
    if (Exists) {
      report(`collection ${collection.name}: index ${index.name} exists`);
      continue;
    }
    await manager.database.updateCollection(collection.name, {
      CreateIndexes: [
        {
          IndexName: index.name,
          MgoKeySchema: { MgoIndexKeys: index.keys.map((key) => ({ Name: key.name, Direction: key.direction })), MgoIsUnique: index.unique },
        },
      ],
    });
    report(`collection ${collection.name}: index ${index.name} created`);
  }
  const tcb = manager.commonService('tcb', '2018-06-08');
  const current = await tcb.call({ Action: 'DescribeDatabaseACL', Param: { EnvId: envId, CollectionName: collection.name } });
  if (current.AclTag === collection.aclTag) {
    report(`collection ${collection.name}: permission ${collection.aclTag} already`);
    return;
  }
  await tcb.call({ Action: 'ModifyDatabaseACL', Param: { EnvId: envId, CollectionName: collection.name, AclTag: collection.aclTag } });
  report(`collection ${collection.name}: permission ${String(current.AclTag)} → ${collection.aclTag}`);
}

/** Applies a validated manifest with a validated env file. Stops at the first failure, naming it. */
export async function applyManifest(root: string, manifest: Manifest, values: EnvValues, report: Report): Promise<void> {
  const requireTool = toolRequire('deploy', root);
  const CloudBase = requireTool('@cloudbase/manager-node') as ManagerConstructor;
  const envId = values.CLOUD_ENV_ID;
  const secretId = values.TCB_SECRET_ID;
  const secretKey = values.TCB_SECRET_KEY;
  if (!envId || !secretId || !secretKey) throw new Error('CLOUD_ENV_ID, TCB_SECRET_ID and TCB_SECRET_KEY are needed to deploy');
  const manager = new CloudBase({ secretId, secretKey, envId, ...(values.TCB_SESSION_TOKEN ? { token: values.TCB_SESSION_TOKEN } : {}) });
  for (const collection of manifest.collections) await deployCollection(manager, envId, collection, report);
  for (const fn of manifest.functions) await deployFunction(manager, root, manifest, fn, values, report);
  for (const access of manifest.httpAccess) await deployHttpAccess(manager, access, report);
  // No API of the mini program's own sets message push routes: they are a step in the console.
  for (const route of manifest.messagePush) report(`message push ${route.msgType}/${route.event} → ${route.functionName}: set it in 云开发 → 设置 → 其他设置 → 消息推送 (cloud-function mode)`);
}

async function deployHttpAccess(manager: ManagerNode, access: ManifestHttpAccess, report: Report): Promise<void> {
  const { APISet = [] } = await manager.access.getAccessList({ path: access.path });
  const existing = APISet.find((api) => api.Path === access.path);
  if (existing && existing.Name === access.name) {
    report(`HTTP access ${access.path} → ${access.name}: exists`);
    return;
  }
  if (existing) throw new Error(`HTTP access path ${access.path} already leads to ${String(existing.Name)}, not ${access.name}: change it in the console`);
  await manager.access.createAccess({ name: access.name, path: access.path });
  report(`HTTP access ${access.path} → ${access.name}: created`);
}
