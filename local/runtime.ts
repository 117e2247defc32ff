import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CloudbaseDispatcher } from './cloudbase/dispatcher';
import { databaseHandlers } from './cloudbase/database';
import { dbFaultHook, type DbFaultCounts } from './cloudbase/dbFaults';
import { invokeFunctionAction } from './cloudbase/functionsApi';
import { OpenApiRegistry } from './cloudbase/openapi';
import { securityMsgSecCheck, subscribeMessageSend, uploadShippingInfo } from './cloudbase/openapiHandlers';
import { wxPayApiAction } from './cloudbase/payApi';
import { CLOUDBASE_API_PATH, createCloudbaseApiHandler } from './cloudbase/server';
import { installWorkerChaos } from './functions/chaos';
import { functionEnvironment } from './functions/environment';
import { FunctionHost } from './functions/host';
import { HttpFunctions } from './functions/httpFunctions';
import { startTimers } from './functions/timers';
import { checkRequest } from './guard';
import { HttpError, sendJson } from './http';
import { createModelHandler, type ModelServerStats } from './model/modelServer';
import { createPayDelivery } from './pay/delivery';
import { defaultFaults, type Faults } from './pay/faults';
import { PaySimulator } from './pay/simulator';
import { createV3Api } from './pay/v3Api';
import { localV3Keys, v3FunctionEnv, type LocalV3Keys } from './pay/v3Keys';
import { createPreviewHandler } from './preview/server';
import { createRoutes, route } from './routes';
import { localSecrets } from './secrets';
import { LocalStore } from './store/localDatabase';
import { DelaySource, type CloudProfile } from './profile/cloudProfile';
import { InstancePool } from './profile/instances';
import { latencyHook } from './profile/latencyHook';
import { XpayEmulator } from './wechat/emulator';
import { issuedVirtualPayment, publishedCatalogue } from './wechat/catalogue';
import { localXpaySecrets, pushRoutesFromCatalog, xpayAccount, xpayFunctionEnv } from './wechat/settings';

export { cronIntervalMs } from './functions/timers';

export interface RuntimeOptions {
  port: number;
  host?: string;
  dataDir: string;
  functionsDir: string;
  /** The built function-instance entry (.build/instance.cjs). */
  instanceScript: string;
  /** The environment the functions are configured with (the developer's settings; never modified). */
  configuredEnv: Record<string, string | undefined>;
  /** Run the functions on this Node binary (a CloudBase runtime version) instead of this process's Node. */
  functionsNode?: string;
  /** At most this many instances of one function at a time (FUNCTION_MAX_INSTANCES; default in local/functions/host.ts). */
  maxInstancesPerFunction?: number;
  /** Run timer-triggered functions on their schedule (tests trigger them by hand). */
  timers: boolean;
  /** Overrides the timers' interval, for a quicker local loop. */
  timerIntervalMs?: number;
  /** The cloud latency profile (LATENCY_PROFILE=cloudbase); null or absent: every platform call instant. */
  profile?: CloudProfile | null;
  /**
   * Start every function's realm before serving (default), so the first tap is quick; false starts
   * each on its first call, as the cloud does, which boots a runtime that uses few functions faster.
   */
  prewarm?: boolean;
}

export interface Runtime {
  url: string;
  server: Server;
  host: FunctionHost;
  simulator: PaySimulator;
  dispatcher: CloudbaseDispatcher;
  /** WeChat's side of mini program virtual payment (local/wechat). */
  wechat: XpayEmulator;
  close(): Promise<void>;
}

const LOCAL_ENV_ID = 'local';
const LOCAL_PAGES = ['pages/index/index', 'pages/order/order', 'pages/history/history'];

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const hostName = options.host ?? '127.0.0.1';
  mkdirSync(options.dataDir, { recursive: true });
  // RSA key generation costs a third of a second of CPU: only a runtime in PAY_MODE=v3 needs the keys.
  let generatedV3Keys: LocalV3Keys | null = null;
  const v3Keys = (): LocalV3Keys => (generatedV3Keys ??= localV3Keys(options.dataDir));
  let faults: Faults = defaultFaults();
  const modelStats: ModelServerStats = { requests: 0, byModel: {} };
  const store = new LocalStore(join(options.dataDir, 'functions'));
  const platformStore = new LocalStore(join(options.dataDir, 'platform'));
  const platformDb = platformStore.database();
  const configured = definedOnly(options.configuredEnv);
  const subMchId = configured.WXPAY_SUB_MCH_ID ?? '1900000109';

  let host: FunctionHost | null = null;
  const hostRef = () => {
    if (!host) throw new Error('the function host is not ready');
    return host;
  };
  let simulator: PaySimulator | null = null;
  const delivery = createPayDelivery({ host: hostRef, simulator: () => simulator as PaySimulator, keys: v3Keys, subMchId });
  simulator = new PaySimulator(platformDb, () => faults, delivery.payment, delivery.refund);
  const pay = simulator;

  const openapi = new OpenApiRegistry((name) => host?.configs.get(name))
    .register('subscribeMessage.send', subscribeMessageSend(platformDb, () => LOCAL_PAGES, () => faults.openapi))
    .register('security.msgSecCheck', securityMsgSecCheck(platformDb, () => faults.openapi))
    .register(
      'wxa.sec.order.uploadShippingInfo',
      uploadShippingInfo(platformDb, async (orderKey) => {
        const trades = await pay.allTrades();
        return trades.some((t) => (orderKey.order_number_type === 2 ? t.transactionId === orderKey.transaction_id : t.outTradeNo === orderKey.out_trade_no) && t.state !== 'NOTPAY' && t.state !== 'CLOSED');
      }, () => faults.openapi),
    );
  let baseUrl = '';
  const account = xpayAccount(configured, localXpaySecrets(options.dataDir));
  const functionsDb = store.database();
  const wechat = new XpayEmulator({
    db: platformDb,
    account,
    catalogue: () => publishedCatalogue(configured),
    // The parameters the functions issued for an order or a top-up, as the page would pass them on
    // (for /api/pay/simulate without the preview's sheet): the store's own record of them.
    issuedPayment: (outTradeNo) => issuedVirtualPayment(functionsDb, outTradeNo),
    pushRoutes: pushRoutesFromCatalog(),
    invokeFunction: (name, event, caller) => hostRef().invoke(name, event, caller),
    faults: () => faults.xpay,
    publicUrl: () => baseUrl,
  });
  const dispatcher = new CloudbaseDispatcher();
  const profile = options.profile ?? null;
  const delays = profile ? new DelaySource(profile) : null;
  const pool = profile ? new InstancePool(profile.keepWarmMs) : null;
  if (delays) dispatcher.use(latencyHook(delays));
  const dbFaultCounts: DbFaultCounts = { error: 0, throttle: 0, timeout: 0, lostAnswer: 0 };
  dispatcher.use(dbFaultHook(() => faults.db, dbFaultCounts));
  for (const [action, handler] of Object.entries(databaseHandlers(store))) dispatcher.handle(action, handler);
  dispatcher.handle('functions.invokeFunction', invokeFunctionAction(hostRef)).handle('wx.openApi', openapi.action).handle('wx.wxPayApi', wxPayApiAction(pay, () => faults.pay));

  let port = 0;
  let routes: ReturnType<typeof createRoutes> = [];
  const routeParts = {
    simulator: pay,
    delivery,
    dispatcher,
    functionsDb,
    platformDb,
    faults: {
      get: () => faults,
      set: (next: Faults) => {
        faults = next;
      },
    },
    modelStats,
    dbFaultCounts,
    cloudbaseApi: createCloudbaseApiHandler(hostRef, dispatcher),
    preview: createPreviewHandler({ root: join(options.functionsDir, '..'), simulator: pay }),
    model: createModelHandler(() => faults, modelStats),
    v3Api: createV3Api(pay, v3Keys),
    profile: { profile, delays, pool },
    wechat,
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handled = (async () => {
      checkRequest(req, port, url.pathname, CLOUDBASE_API_PATH);
      if (routes.length === 0) throw new HttpError(503, 'the runtime is starting');
      await route(routes, req, res, url);
    })();
    handled.catch((error: unknown) => {
      // Whatever is left of the body is read and dropped, so the client gets this answer and not a reset.
      req.resume();
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : 'internal error';
      if (!res.headersSent) sendJson(res, status, { errMsg: message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, hostName, () => resolve());
  });
  port = (server.address() as { port: number }).port;
  baseUrl = `http://${hostName}:${port}`;

  // The functions' configuration: local defaults for everything the cloud console would hold,
  // overridden by the developer's own environment.
  const functionConfig: Record<string, string> = {
    // Virtual payment, as in the cloud: WeChat requires it for virtual goods (docs/VIRTUAL-PAYMENT.md).
    PAY_MODE: 'virtual',
    LOCAL_MODEL_URL: `${baseUrl}/v1`,
    CLOUD_ENV_ID: LOCAL_ENV_ID,
    WXPAY_SUB_MCH_ID: subMchId,
    MINIPROGRAM_STATE: 'developer',
    SUBSCRIBE_TEMPLATE_ID: 'local-result-template',
    // streamOrder's HTTP access path on the runtime (GET /stream, local/routes.ts): orders carry it as streamUrl.
    STREAM_BASE_URL: '/stream',
    ...(configured.PAY_MODE === 'v3' ? v3FunctionEnv(v3Keys(), baseUrl) : {}),
    ...xpayFunctionEnv(account, baseUrl),
    ...localSecrets(options.dataDir),
    ...configured,
  };
  const instanceEnv = functionEnvironment({ configured: functionConfig, apiUrl: `${baseUrl}${CLOUDBASE_API_PATH}`, envId: LOCAL_ENV_ID, region: 'ap-shanghai' });
  host = new FunctionHost({
    functionsDir: options.functionsDir,
    instanceScript: options.instanceScript,
    env: instanceEnv,
    envId: LOCAL_ENV_ID,
    ...(options.functionsNode ? { nodeBinary: options.functionsNode } : {}),
    ...(options.maxInstancesPerFunction ? { maxInstancesPerFunction: options.maxInstancesPerFunction } : {}),
    ...(delays && pool ? { profile: { delays, pool } } : {}),
    counters: (id) => dispatcher.countersFor(id),
  });
  host.load();
  const httpFunctions = new HttpFunctions({
    functionsDir: options.functionsDir,
    root: join(options.functionsDir, '..'),
    dataDir: options.dataDir,
    env: instanceEnv,
    envId: LOCAL_ENV_ID,
    ...(options.functionsNode ? { nodeBinary: options.functionsNode } : {}),
    host: hostRef,
  });
  installWorkerChaos(host, () => faults.worker);
  if (options.prewarm !== false) await host.prewarm(profile !== null);
  routes = createRoutes({ ...routeParts, host, httpFunctions });
  await pay.resume();
  await wechat.resume();
  const stopTimers = options.timers ? startTimers(host, options.timerIntervalMs) : () => undefined;
  const readyHost = host;

  return {
    url: baseUrl,
    server,
    host: readyHost,
    simulator: pay,
    dispatcher,
    wechat,
    async close() {
      stopTimers();
      wechat.close();
      await httpFunctions.close();
      await readyHost.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      await platformStore.close();
    },
  };
}
