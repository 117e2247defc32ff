/**
 * The environment of every function instance, built explicitly (the runtime's own `process.env`
 * is never changed): the functions' configuration (what the CloudBase console would hold: local
 * defaults, overridden by the developer's environment) and what SCF sets in every instance.
 *
 * - `TENCENTCLOUD_RUNENV=SCF`: @cloudbase/node-sdk then knows it runs in a cloud function
 *   (`checkIsInScf` in dist/utils/cloudplatform.js): requests go over plain HTTP to the internal
 *   endpoint and no metadata-server lookup is made.
 * - `TCB_CONTEXT_CNFG={"URL": …}`: the server-injected API endpoint, which `buildUrl`
 *   (dist/utils/tcbapiendpoint.js) prefers to the default `tcb-api.tencentcloudapi.com`.
 * - `SCF_NAMESPACE` / `TCB_ENV`: the environment id (`DYNAMIC_CURRENT_ENV` resolves to it).
 */
export function functionEnvironment(input: { configured: Record<string, string>; apiUrl: string; envId: string; region: string }): Record<string, string> {
  return {
    ...input.configured,
    TENCENTCLOUD_RUNENV: 'SCF',
    TENCENTCLOUD_REGION: input.region,
    SCF_NAMESPACE: input.envId,
    TCB_ENV: input.envId,
    TCB_CONTEXT_CNFG: JSON.stringify({ URL: input.apiUrl }),
  };
}
