import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FUNCTION_NAMES, FUNCTIONS, NODE_RUNTIME } from '../core/functions/catalog';
import { COLLECTIONS } from '../scripts/deploy/collections';
import { FUNCTION_ENV_VARS } from '../scripts/deploy/envSpec';
import { envProblems, parseEnvFile, type EnvValues } from '../scripts/deploy/validate';

const ROOT = resolve(__dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'deploy-plan-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A complete cloud-pay deployment; secret values are random so a test can look for them in the output. */
function cloudpayEnv(): EnvValues {
  return {
    TCB_SECRET_ID: `AKID${randomBytes(12).toString('hex')}`,
    TCB_SECRET_KEY: randomBytes(16).toString('hex'),
    CLOUD_ENV_ID: 'prod-7g3k2',
    PAY_MODE: 'cloudpay',
    OPENID_HASH_SECRET: randomBytes(32).toString('hex'),
    OPENID_SEAL_KEY: randomBytes(32).toString('base64'),
    WXPAY_SUB_MCH_ID: '1900000109',
    DASHSCOPE_API_KEY: `sk-${randomBytes(16).toString('hex')}`,
    ORDER_TTL_SECONDS: '600',
  };
}

function envFile(values: EnvValues): string {
  const path = join(scratch, `env-${randomBytes(4).toString('hex')}`);
  writeFileSync(path, Object.entries(values).map(([key, value]) => `${key}=${value}`).join('\n'));
  return path;
}

function plan(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'deploy.mjs'), '--plan', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run deploy -- --plan (offline)', () => {
  test('prints every function with runtime, timeout, memory and trigger, every variable name, and every collection with its indexes and rule', () => {
    const values = cloudpayEnv();
    const { status, stdout, stderr } = plan('--env-path', envFile(values));
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(stdout).toContain('Deployment plan for CloudBase environment prod-7g3k2');
    for (const name of FUNCTION_NAMES) {
      const spec = FUNCTIONS[name];
      expect(stdout).toMatch(new RegExp(`\\n  ${name}\\s+(mini program|platform|HTTP function)\\s+${NODE_RUNTIME.replace('.', '\\.')}\\s+timeout ${spec.timeoutSeconds} s\\s+memory ${spec.memoryMb} MB`));
    }
    expect(stdout).toContain('timer reconcileTimer "0 */2 * * * * *"');
    expect(stdout).toContain('HTTP access path /stream → streamOrder');
    // Virtual payment's pushes: each event and the function it must be routed to, as a step in the console.
    for (const event of ['xpay_goods_deliver_notify', 'xpay_coin_pay_notify', 'xpay_refund_notify', 'xpay_complaint_notify']) expect(stdout).toMatch(new RegExp(`event / ${event}\\s+→ xpayNotify`));
    for (const spec of FUNCTION_ENV_VARS) expect(stdout).toContain(`\n  ${spec.name} `);
    for (const collection of COLLECTIONS) {
      expect(stdout).toMatch(new RegExp(`\\n  ${collection.name}\\s+ADMINONLY`));
      for (const index of collection.indexes) expect(stdout).toContain(index.name);
    }
    expect(stdout).toContain('"read": false, "write": false');
    // Non-secret values are shown; secrets only as "set".
    expect(stdout).toMatch(/PAY_MODE\s+required\s+"cloudpay"/);
    for (const secret of ['TCB_SECRET_ID', 'TCB_SECRET_KEY', 'OPENID_HASH_SECRET', 'OPENID_SEAL_KEY', 'DASHSCOPE_API_KEY'] as const) {
      expect(stdout).not.toContain(values[secret]);
    }
    expect(stdout).toMatch(/OPENID_HASH_SECRET\s+required\s+set \(secret\)/);
  });

  test('without an env file it still prints the whole plan, then fails naming the file to create', () => {
    const { status, stdout, stderr } = plan('--env-path', join(scratch, 'missing.env'));
    expect(status).toBe(1);
    expect(stdout).toContain(`Collections (${COLLECTIONS.length})`);
    expect(stderr).toContain('missing.env not found: copy .env.deploy.example');
  });

  test('a wrong env file fails with each problem named, and no value of a secret', () => {
    const values = { ...cloudpayEnv(), PAY_MODE: 'alipay', OPENID_HASH_SECRET: 'short-secret' };
    delete (values as Partial<EnvValues>).CLOUD_ENV_ID;
    const { status, stderr } = plan('--env-path', envFile(values));
    expect(status).toBe(1);
    expect(stderr).toContain('CLOUD_ENV_ID is not set');
    expect(stderr).toContain('PAY_MODE must be virtual, cloudpay or v3, not "alipay"');
    expect(stderr).toContain('OPENID_HASH_SECRET is too short: at least 32 characters');
    expect(stderr).not.toContain('short-secret');
  });

  test('the example env file parses, and only lacks what a developer must fill in', () => {
    const { status, stderr } = plan('--env-path', '.env.deploy.example');
    expect(status).toBe(1);
    const problems = stderr.split('\n').filter((line) => line.startsWith('- '));
    expect(problems.every((line) => / is not set /.test(line))).toBe(true);
    expect(problems.length).toBeGreaterThan(0);
  });
});

describe('env file checks name the variable and the rule', () => {
  const problems = (change: (values: EnvValues) => void): string[] => {
    const values = cloudpayEnv();
    change(values);
    return envProblems(values);
  };

  test('a complete cloud-pay env file passes', () => {
    expect(problems(() => undefined)).toEqual([]);
  });

  test('the simulator cannot be deployed', () => {
    expect(problems((v) => (v.PAY_MODE = 'simulator'))).toEqual(["PAY_MODE=simulator is the local runtime's payment simulator: deploy with virtual, cloudpay or v3"]);
  });

  test('cloud pay needs its sub-merchant', () => {
    expect(problems((v) => delete v.WXPAY_SUB_MCH_ID)).toEqual([
      'WXPAY_SUB_MCH_ID is not set (cloud pay sub-merchant id bound to the environment) and PAY_MODE=cloudpay needs it',
    ]);
  });

  test('v3 names every merchant setting it lacks', () => {
    const found = problems((v) => (v.PAY_MODE = 'v3'));
    for (const name of ['WECHATPAY_APPID', 'WECHATPAY_MCHID', 'WECHATPAY_MERCHANT_PRIVATE_KEY', 'WECHATPAY_API_V3_KEY', 'WECHATPAY_NOTIFY_URL']) {
      expect(found.some((line) => line.startsWith(`${name} is not set`) && line.endsWith('PAY_MODE=v3 needs it'))).toBe(true);
    }
  });

  test("the functions' own start-up checks run too: a bad v3 key is refused as the function would", () => {
    const found = problems((v) => {
      Object.assign(v, {
        PAY_MODE: 'v3',
        WECHATPAY_APPID: 'wx1234567890abcdef',
        WECHATPAY_MCHID: '1900000109',
        WECHATPAY_MERCHANT_SERIAL: 'ABC',
        WECHATPAY_MERCHANT_PRIVATE_KEY: 'not a pem',
        WECHATPAY_PLATFORM_SERIAL: 'PUB_KEY_ID_1',
        WECHATPAY_PLATFORM_PUBLIC_KEY: 'not a pem either',
        WECHATPAY_API_V3_KEY: 'too-short',
        WECHATPAY_NOTIFY_URL: 'http://example.com/notify?x=1',
      });
    });
    const text = found.join('\n');
    expect(text).toContain('WECHATPAY_MERCHANT_PRIVATE_KEY is not a PEM private key');
    expect(text).toContain('WECHATPAY_API_V3_KEY must be the 32-character API v3 key');
    expect(text).toContain('WECHATPAY_NOTIFY_URL must carry no query string');
  });

  test('a bad seal key, a non-positive number, a local-only variable and no model provider', () => {
    expect(problems((v) => (v.OPENID_SEAL_KEY = 'c2hvcnQ='))).toEqual(['OPENID_SEAL_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)']);
    expect(problems((v) => (v.ORDER_TTL_SECONDS = '0'))).toEqual(['ORDER_TTL_SECONDS must be a positive number, not "0"']);
    expect(problems((v) => (v.LOCAL_MODEL_URL = 'http://127.0.0.1:8787/v1'))).toEqual([
      "LOCAL_MODEL_URL is the local runtime's (the local runtime's model server): remove it from the deploy env file",
    ]);
    expect(problems((v) => delete v.DASHSCOPE_API_KEY)).toEqual([
      'no model provider is configured: set LLM_BASE_URL or one of DASHSCOPE_API_KEY, DEEPSEEK_API_KEY, ZHIPU_API_KEY, MOONSHOT_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY',
    ]);
  });

  test('empty values in the env file count as unset', () => {
    expect(parseEnvFile('PAY_MODE=cloudpay\nLLM_MODEL=\n# comment\n')).toEqual({ PAY_MODE: 'cloudpay' });
  });
});

describe('npm run deploy refuses to start with a wrong env file', () => {
  test('it exits before installing or calling anything', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'deploy.mjs'), '--env-path', envFile({ ...cloudpayEnv(), PAY_MODE: 'simulator' })], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Not ready to deploy (1 problem)');
    expect(run.stdout).not.toContain('ensure-tools');
  });
});

describe('npm run upload without an appid and upload key', () => {
  test('exits naming both settings, before compiling or uploading anything', () => {
    const env = { ...process.env };
    delete env.MINIPROGRAM_APPID;
    delete env.MINIPROGRAM_UPLOAD_KEY_PATH;
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'deploy.mjs'), '--entry', 'upload', '--env-path', join(scratch, 'none.env')], {
      cwd: ROOT,
      encoding: 'utf8',
      env,
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('MINIPROGRAM_APPID is not set');
    expect(run.stderr).toContain('MINIPROGRAM_UPLOAD_KEY_PATH is not set');
    expect(run.stdout).not.toContain('summer-compiler');
  });
});
