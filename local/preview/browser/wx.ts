import { FRAME } from '../frame';
import { tappedAgreeButtons } from './builtins';
import type { PageHost } from './pages';
import type { ModalOptions, Overlays, PayOutcome, SheetTrade, ToastOptions } from './ui';

/** A failed call, as WeChat reports it: `{ errMsg: 'api:fail reason' }`. */
export interface WxFailure {
  errMsg: string;
}

interface Callbacks<T> {
  success?: (result: T) => void;
  fail?: (error: WxFailure) => void;
  complete?: (result: T | WxFailure) => void;
}

export interface WxContext {
  overlays: Overlays;
  pages: PageHost;
  /** The simulated caller, sent as `X-WX-OPENID` to the runtime. */
  openid(): string;
  /** A merchant name for the pay sheet. */
  appName: string;
}

function failure(api: string, reason: unknown): WxFailure {
  if (reason && typeof reason === 'object' && typeof (reason as WxFailure).errMsg === 'string') return reason as WxFailure;
  const message = reason instanceof Error ? reason.message : String(reason);
  return { errMsg: `${api}:fail ${message}` };
}

/**
 * WeChat's calling convention: callbacks when any is given, otherwise a promise (rejected with
 * `{ errMsg }`); callbacks run after the call returns, never inside it.
 */
function call<T extends { errMsg: string }>(api: string, options: Callbacks<T> | undefined, run: () => Promise<T>): Promise<T> | undefined {
  const settled = Promise.resolve().then(run).catch((reason: unknown) => Promise.reject(failure(api, reason)));
  if (options && (options.success || options.fail || options.complete)) {
    settled.then(
      (result) => {
        options.success?.(result);
        options.complete?.(result);
      },
      (error: WxFailure) => {
        options.fail?.(error);
        options.complete?.(error);
      },
    );
    return undefined;
  }
  return settled;
}

function ok(api: string): { errMsg: string } {
  return { errMsg: `${api}:ok` };
}

interface RequestOptions extends Callbacks<{ errMsg: string; data: unknown; statusCode: number; header: Record<string, string>; cookies: string[] }> {
  url: string;
  method?: string;
  data?: unknown;
  header?: Record<string, string>;
  timeout?: number;
  dataType?: string;
  responseType?: string;
  enableChunked?: boolean;
}

type ChunkListener = (result: { data: ArrayBuffer }) => void;
type HeadersListener = (result: { header: Record<string, string>; statusCode: number; cookies: string[] }) => void;

/**
 * The bytes of one network read cut into one to four pieces at random points, as WeChat hands a
 * chunked response over: `RequestTask.onChunkReceived` gets ArrayBuffers split anywhere, even
 * inside a UTF-8 sequence (https://developers.weixin.qq.com/miniprogram/dev/api/network/request/RequestTask.onChunkReceived.html),
 * so the page's decoder is exercised here as on a phone.
 */
function cutAnywhere(bytes: Uint8Array): ArrayBuffer[] {
  const cuts = new Set<number>();
  const pieces = Math.min(bytes.length, 1 + Math.floor(Math.random() * 4));
  while (cuts.size < pieces - 1) cuts.add(1 + Math.floor(Math.random() * (bytes.length - 1)));
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
  return bounds.slice(1).map((end, i) => bytes.slice(bounds[i], end).buffer);
}

const systemInfo = () => {
  const windowHeight = FRAME.height - FRAME.statusBarHeight - FRAME.navigationBarHeight;
  return {
    brand: 'devtools',
    model: 'Browser preview',
    pixelRatio: FRAME.pixelRatio,
    screenWidth: FRAME.width,
    screenHeight: FRAME.height,
    windowWidth: FRAME.width,
    windowHeight,
    statusBarHeight: FRAME.statusBarHeight,
    safeArea: { left: 0, right: FRAME.width, top: FRAME.statusBarHeight, bottom: FRAME.height, width: FRAME.width, height: FRAME.height - FRAME.statusBarHeight },
    language: navigator.language.toLowerCase().startsWith('zh') ? 'zh_CN' : navigator.language.replace('-', '_'),
    version: '8.0.50',
    system: 'Browser',
    platform: 'devtools',
    SDKVersion: '3.7.1',
    theme: 'light',
    fontSizeSetting: 16,
    enableDebug: false,
    errMsg: 'getSystemInfo:ok',
  };
};

/**
 * Template titles as the admin console names them (a template library title such as "订单完成通知").
 * The local runtime's template is known; any other id is shown as a one-time message without a title.
 */
const TEMPLATE_TITLES: Record<string, string> = { 'local-result-template': 'AI 回答结果通知' };

type PrivacyDecision = { event?: string; buttonId?: string };
type PrivacyListener = (resolve: (decision: PrivacyDecision) => void, info: { referrer: string }) => void;

/** The `wx` the preview gives the pages: what the product's pages use, backed by the local runtime. */
export function createWx(context: WxContext): Record<string, unknown> {
  const storageKey = (key: string) => `mp-storage:${context.openid()}:${key}`;
  const readStorage = (key: string): { found: boolean; data: unknown } => {
    const raw = localStorage.getItem(storageKey(key));
    return raw === null ? { found: false, data: '' } : { found: true, data: JSON.parse(raw) as unknown };
  };
  const navigation = (api: string, run: (options: { url?: string; delta?: number }) => Promise<void>) =>
    (options: Callbacks<{ errMsg: string }> & { url?: string; delta?: number } = {}) =>
      call(api, options, async () => {
        try {
          await run(options);
        } catch (error) {
          throw { errMsg: `${api}:fail ${error instanceof Error ? error.message : String(error)}` };
        }
        return ok(api);
      });

  /**
   * WeChat's privacy check before a protected API (WeChat docs: wx.onNeedPrivacyAuthorization,
   * 小程序隐私协议开发指南): once the user agreed (kept per simulated user), the API runs; before
   * that, the app's listener gets `resolve` and the API waits. `agree` counts only with the id of an
   * agree button the user tapped; anything else fails the API with "privacy permission is not
   * authorized" (errno 104). Without a listener, WeChat's own consent popup is shown.
   */
  let privacyListener: PrivacyListener | null = null;
  const PRIVACY_KEY = '__privacy_agreed__';
  const privacyAgreed = () => readStorage(PRIVACY_KEY).data === true;
  const privacyRefused = (api: string) => ({ errMsg: `${api}:fail privacy permission is not authorized`, errno: 104 });
  const privacyGate = async (api: string): Promise<void> => {
    if (privacyAgreed()) return;
    if (!privacyListener) {
      const answer = await context.overlays.showModal({ title: '用户隐私保护提示', content: `使用${api}前，请阅读并同意《用户隐私保护指引》。`, confirmText: '同意', cancelText: '拒绝' });
      if (!answer.confirm) throw privacyRefused(api);
      localStorage.setItem(storageKey(PRIVACY_KEY), 'true');
      return;
    }
    const listener = privacyListener;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      listener(
        (decision) => {
          if (settled || decision.event === 'exposureAuthorization') return;
          settled = true;
          if (decision.event === 'agree' && typeof decision.buttonId === 'string' && tappedAgreeButtons.has(decision.buttonId)) {
            localStorage.setItem(storageKey(PRIVACY_KEY), 'true');
            resolve();
          } else {
            reject(privacyRefused(api));
          }
        },
        { referrer: api },
      );
    });
  };

  const wxApi: Record<string, unknown> = {
    onNeedPrivacyAuthorization(listener: PrivacyListener) {
      privacyListener = typeof listener === 'function' ? listener : null;
    },
    requirePrivacyAuthorize: (options?: Callbacks<{ errMsg: string }>) =>
      call('requirePrivacyAuthorize', options, async () => {
        await privacyGate('requirePrivacyAuthorize');
        return ok('requirePrivacyAuthorize');
      }),
    getPrivacySetting: (options?: Callbacks<{ errMsg: string; needAuthorization: boolean; privacyContractName: string }>) =>
      call('getPrivacySetting', options, async () => ({ errMsg: 'getPrivacySetting:ok', needAuthorization: !privacyAgreed(), privacyContractName: '《用户隐私保护指引》' })),
    openPrivacyContract: (options?: Callbacks<{ errMsg: string }>) =>
      call('openPrivacyContract', options, async () => {
        // In WeChat this opens the 用户隐私保护指引 filled in on the admin console; the preview has none of its own.
        await context.overlays.showModal({
          title: '用户隐私保护指引',
          content: '在微信中，这里打开你在小程序管理后台填写的《用户隐私保护指引》。本地预览没有这份指引。',
          showCancel: false,
          confirmText: '知道了',
        });
        return ok('openPrivacyContract');
      }),

    /**
     * wx.request against the runtime. With `enableChunked` (base library 2.20.2+) the body is handed
     * to `onChunkReceived` listeners as it arrives, cut anywhere (cutAnywhere), and `success` comes
     * when it has all arrived; what `success` carries as `data` then is not documented, so it is an
     * empty ArrayBuffer here (the page never reads it). `abort()` fails the request with
     * `request:fail abort`, as WeChat does.
     */
    request(options: RequestOptions) {
      const controller = new AbortController();
      const chunkListeners = new Set<ChunkListener>();
      const headersListeners = new Set<HeadersListener>();
      const promise = call('request', options, async () => {
        const url = new URL(options.url, location.href);
        const method = (options.method ?? 'GET').toUpperCase();
        const headers: Record<string, string> = { ...(options.header ?? {}) };
        // The simulated WeChat user, as the runtime's X-WX-OPENID contract expects (same origin only).
        if (url.origin === location.origin) headers['X-WX-OPENID'] = context.openid();
        let body: string | undefined;
        if (method === 'GET' && options.data && typeof options.data === 'object') {
          for (const [key, value] of Object.entries(options.data as Record<string, unknown>)) url.searchParams.set(key, String(value));
        } else if (options.data !== undefined && method !== 'GET') {
          body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
          if (!Object.keys(headers).some((key) => key.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
        }
        const timer = window.setTimeout(() => controller.abort('timeout'), options.timeout ?? 60_000);
        try {
          const response = await fetch(url, { method, headers, body, signal: controller.signal });
          const header: Record<string, string> = {};
          response.headers.forEach((value, key) => (header[key] = value));
          for (const listener of [...headersListeners]) listener({ header, statusCode: response.status, cookies: [] });
          if (options.enableChunked && response.body) {
            const reader = response.body.getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              for (const piece of cutAnywhere(value)) for (const listener of [...chunkListeners]) listener({ data: piece });
            }
            return { errMsg: 'request:ok', data: new ArrayBuffer(0), statusCode: response.status, header, cookies: [] };
          }
          if (options.responseType === 'arraybuffer') {
            return { errMsg: 'request:ok', data: await response.arrayBuffer(), statusCode: response.status, header, cookies: [] };
          }
          const text = await response.text();
          let data: unknown = text;
          if ((options.dataType ?? 'json') === 'json') {
            try {
              data = JSON.parse(text);
            } catch {
              data = text;
            }
          }
          return { errMsg: 'request:ok', data, statusCode: response.status, header, cookies: [] };
        } catch (error) {
          throw { errMsg: controller.signal.aborted ? `request:fail ${controller.signal.reason === 'timeout' ? 'timeout' : 'abort'}` : `request:fail ${error instanceof Error ? error.message : String(error)}` };
        } finally {
          window.clearTimeout(timer);
        }
      });
      return (
        promise ?? {
          abort: () => controller.abort('abort'),
          onHeadersReceived: (listener: HeadersListener) => void headersListeners.add(listener),
          offHeadersReceived: (listener?: HeadersListener) => (listener ? void headersListeners.delete(listener) : headersListeners.clear()),
          onChunkReceived: (listener: ChunkListener) => void chunkListeners.add(listener),
          offChunkReceived: (listener?: ChunkListener) => (listener ? void chunkListeners.delete(listener) : chunkListeners.clear()),
        }
      );
    },

    showToast: (options: ToastOptions & Callbacks<{ errMsg: string }>) =>
      call('showToast', options, async () => {
        context.overlays.showToast(options);
        return ok('showToast');
      }),
    hideToast: (options?: Callbacks<{ errMsg: string }>) =>
      call('hideToast', options, async () => {
        context.overlays.hideToast();
        return ok('hideToast');
      }),
    showLoading: (options: { title: string; mask?: boolean } & Callbacks<{ errMsg: string }>) =>
      call('showLoading', options, async () => {
        context.overlays.showToast({ title: options.title, mask: options.mask, icon: 'loading' }, true);
        return ok('showLoading');
      }),
    hideLoading: (options?: Callbacks<{ errMsg: string }>) =>
      call('hideLoading', options, async () => {
        context.overlays.hideToast(true);
        return ok('hideLoading');
      }),
    showModal: (options: ModalOptions & Callbacks<{ errMsg: string; confirm: boolean; cancel: boolean }>) =>
      call('showModal', options, async () => ({ ...(await context.overlays.showModal(options)), errMsg: 'showModal:ok' })),

    navigateTo: navigation('navigateTo', ({ url }) => context.pages.push(url ?? '')),
    redirectTo: navigation('redirectTo', ({ url }) => context.pages.replace(url ?? '')),
    reLaunch: navigation('reLaunch', ({ url }) => context.pages.relaunch(url ?? '')),
    switchTab: navigation('switchTab', ({ url }) => context.pages.relaunch((url ?? '').split('?')[0] ?? '')),
    navigateBack: navigation('navigateBack', ({ delta }) => context.pages.back(delta ?? 1)),
    setNavigationBarTitle: (options: { title: string } & Callbacks<{ errMsg: string }>) =>
      call('setNavigationBarTitle', options, async () => {
        context.pages.setTitle(options.title);
        return ok('setNavigationBarTitle');
      }),
    pageScrollTo: (options: { scrollTop?: number; duration?: number } & Callbacks<{ errMsg: string }>) =>
      call('pageScrollTo', options, async () => {
        const container = document.querySelector<HTMLElement>('.mp-page:not([hidden])');
        container?.scrollTo({ top: options.scrollTop ?? 0, behavior: options.duration === 0 ? 'auto' : 'smooth' });
        return ok('pageScrollTo');
      }),
    stopPullDownRefresh: (options?: Callbacks<{ errMsg: string }>) => call('stopPullDownRefresh', options, async () => ok('stopPullDownRefresh')),

    requestPayment: (options: { timeStamp?: string; nonceStr?: string; package?: string; signType?: string; paySign?: string } & Callbacks<{ errMsg: string }>) =>
      call('requestPayment', options, async () => {
        const missing = (['timeStamp', 'nonceStr', 'package', 'paySign'] as const).filter((key) => typeof options[key] !== 'string' || options[key] === '');
        if (missing.length > 0) throw { errMsg: `requestPayment:fail parameter error: ${missing.join(', ')} should be a non-empty string` };
        const found = await fetch(`/preview/trade?package=${encodeURIComponent(options.package ?? '')}`);
        if (!found.ok) throw { errMsg: ((await found.json()) as WxFailure).errMsg };
        const trade = (await found.json()) as SheetTrade;
        const outcome: PayOutcome = await context.overlays.paySheet(trade, context.appName);
        // The user's action goes to the WeChat Pay simulator, which decides and notifies the functions.
        const answer = await fetch('/api/pay/simulate', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ outTradeNo: trade.outTradeNo, outcome }),
        });
        const result = (await answer.json()) as { ok?: boolean; errMsg?: string };
        if (!answer.ok || !result.ok) throw { errMsg: result.errMsg ?? `requestPayment:fail HTTP ${answer.status}` };
        return ok('requestPayment');
      }),
    requestSubscribeMessage: (options: { tmplIds?: string[] } & Callbacks<Record<string, string> & { errMsg: string }>) =>
      call('requestSubscribeMessage', options, async () => {
        const ids = options.tmplIds ?? [];
        if (!Array.isArray(ids) || ids.length === 0) throw { errMsg: 'requestSubscribeMessage:fail TmplIds can\'t be empty' };
        if (ids.length > 5) throw { errMsg: 'requestSubscribeMessage:fail TmplIds count over limit' };
        const accepted = await context.overlays.subscribeConsent(ids.map((id) => TEMPLATE_TITLES[id] ?? '一次性订阅消息'));
        const result: Record<string, string> & { errMsg: string } = { errMsg: 'requestSubscribeMessage:ok' };
        for (const id of ids) result[id] = accepted ? 'accept' : 'reject';
        return result;
      }),

    /**
     * What this preview implements, in wx.canIUse's schema (https://developers.weixin.qq.com/miniprogram/dev/api/base/wx.canIUse.html):
     * `${API}.${method}.${param}.${option}` or `${class}.${method}`; a bare API name when the preview has it.
     */
    canIUse: (schema: string) => CAN_I_USE.has(schema) || (!schema.includes('.') && schema in wxApi),
    getSystemInfoSync: systemInfo,
    getWindowInfo: systemInfo,
    getDeviceInfo: systemInfo,
    getAppBaseInfo: systemInfo,
    getSystemInfo: (options?: Callbacks<ReturnType<typeof systemInfo>>) => call('getSystemInfo', options, async () => systemInfo()),

    setStorageSync(key: string, data: unknown) {
      localStorage.setItem(storageKey(key), JSON.stringify(data));
    },
    getStorageSync: (key: string) => readStorage(key).data,
    removeStorageSync(key: string) {
      localStorage.removeItem(storageKey(key));
    },
    clearStorageSync() {
      const prefix = storageKey('');
      for (const key of Object.keys(localStorage)) if (key.startsWith(prefix)) localStorage.removeItem(key);
    },
    setStorage: (options: { key: string; data: unknown } & Callbacks<{ errMsg: string }>) =>
      call('setStorage', options, async () => {
        localStorage.setItem(storageKey(options.key), JSON.stringify(options.data));
        return ok('setStorage');
      }),
    getStorage: (options: { key: string } & Callbacks<{ errMsg: string; data: unknown }>) =>
      call('getStorage', options, async () => {
        const { found, data } = readStorage(options.key);
        if (!found) throw { errMsg: 'getStorage:fail data not found' };
        return { errMsg: 'getStorage:ok', data };
      }),
    removeStorage: (options: { key: string } & Callbacks<{ errMsg: string }>) =>
      call('removeStorage', options, async () => {
        localStorage.removeItem(storageKey(options.key));
        return ok('removeStorage');
      }),
    /**
     * wx.login: a one-time code for the simulated user, from the runtime's `POST /api/wx/login`
     * (X-WX-OPENID), which the functions exchange as WeChat's jscode2session would (WeChat docs:
     * wx.login, "code 只能使用一次，5分钟有效"). The conversation page asks again with it after SESSION_EXPIRED.
     */
    login: (options?: Callbacks<{ errMsg: string; code: string }>) =>
      call('login', options, async () => {
        const response = await fetch('/api/wx/login', { method: 'POST', headers: { 'content-type': 'application/json', 'X-WX-OPENID': context.openid() }, body: '{}' });
        const body = (await response.json().catch(() => null)) as { code?: unknown } | null;
        if (!response.ok || typeof body?.code !== 'string') throw new Error(`the runtime answered ${response.status}`);
        return { errMsg: 'login:ok', code: body.code };
      }),
    setClipboardData: (options: { data: string } & Callbacks<{ errMsg: string }>) =>
      call('setClipboardData', options, async () => {
        // The clipboard is a protected API: the privacy guide's 剪切板 item.
        await privacyGate('setClipboardData');
        await navigator.clipboard?.writeText(options.data).catch(() => undefined);
        context.overlays.showToast({ title: '内容已复制', icon: 'none' });
        return ok('setClipboardData');
      }),
    nextTick: (callback: () => void) => void Promise.resolve().then(callback),
  };
  return wxApi;
}

/** The options and task methods beyond a bare API name that this preview implements. */
const CAN_I_USE = new Set([
  'request.object.enableChunked',
  'request.object.responseType.arraybuffer',
  'RequestTask.abort',
  'RequestTask.onChunkReceived',
  'RequestTask.offChunkReceived',
  'RequestTask.onHeadersReceived',
  'RequestTask.offHeadersReceived',
]);
