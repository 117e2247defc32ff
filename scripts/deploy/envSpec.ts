import { PROVIDERS } from '../../core/config/providers';
import { MAX_SUPPORT_CONTACT_CHARS } from '../../core/config/support';
import { MAX_LEASE_MS, MIN_LEASE_MS } from '../../core/generation/lease';
import { MIN_STREAM_TICKET_SECRET_LENGTH } from '../../core/streaming/ticket';

/**
 * Every environment variable a deployment involves: what the cloud functions read (core/config/env.ts,
 * core/payments/v3/config.ts, core/models/endpoints.ts, core/log.ts) and what the deploy tool itself
 * needs. test/deploy-manifest.test.ts finds the names core/ reads and checks each one is listed here.
 */
export interface EnvVarSpec {
  name: string;
  purpose: string;
  /** Never printed, never written anywhere but the function's configuration. */
  secret: boolean;
  /** When a deployment cannot go without it. */
  required: 'always' | PayModeInTheCloud | 'no';
  /**
   * `functions`: set on every function; `deploy`: the deploy tool's; `upload`: `npm run upload`'s;
   * `local`: the local runtime's, refused in a deployment.
   */
  target: 'functions' | 'deploy' | 'upload' | 'local';
  /** A problem with a value that is set, in words that name the variable. */
  check?: (value: string) => string | null;
}

const positive = (name: string) => (value: string) =>
  Number.isFinite(Number(value)) && Number(value) > 0 ? null : `${name} must be a positive number, not "${value}"`;

/** The range core accepts for GENERATION_LEASE_SECONDS (core/generation/lease.ts). */
const LEASE_SECONDS = { min: MIN_LEASE_MS / 1000, max: MAX_LEASE_MS / 1000 };
const digits = (name: string) => (value: string) => (/^\d+$/.test(value) ? null : `${name} must be digits only`);

const oneOf = (name: string, allowed: readonly string[]) => (value: string) =>
  allowed.includes(value) ? null : `${name} must be ${allowed.join(' or ')}, not "${value}"`;

/** The shortest HMAC secret accepted: 32 characters, as many bytes of key as SHA-256 produces. */
export const MIN_HASH_SECRET_LENGTH = 32;

/** Virtual payment is the default: WeChat requires virtual goods (AI answers) to be sold through it (docs/VIRTUAL-PAYMENT.md). */
export const PAY_MODES_IN_THE_CLOUD = ['virtual', 'cloudpay', 'v3'] as const;
export type PayModeInTheCloud = (typeof PAY_MODES_IN_THE_CLOUD)[number];

function providerVars(): EnvVarSpec[] {
  return PROVIDERS.flatMap((provider): EnvVarSpec[] => [
    { name: provider.apiKeyEnv, purpose: `${provider.name} API key`, secret: true, required: 'no', target: 'functions' },
    { name: provider.baseURLEnv, purpose: `${provider.name} endpoint override (a gateway or regional endpoint)`, secret: false, required: 'no', target: 'functions' },
  ]);
}

export const ENV_VARS: readonly EnvVarSpec[] = [
  // The deploy tool's credentials: a CloudBase / Tencent Cloud API key (https://console.cloud.tencent.com/cam/capi).
  { name: 'TCB_SECRET_ID', purpose: 'Tencent Cloud API SecretId that deploys', secret: true, required: 'always', target: 'deploy' },
  { name: 'TCB_SECRET_KEY', purpose: 'Tencent Cloud API SecretKey that deploys', secret: true, required: 'always', target: 'deploy' },
  { name: 'TCB_SESSION_TOKEN', purpose: 'temporary credentials token, with temporary keys only', secret: true, required: 'no', target: 'deploy' },
  {
    name: 'CLOUD_ENV_ID',
    purpose: 'the CloudBase environment to deploy to; also cloud pay\'s envId',
    secret: false,
    required: 'always',
    target: 'functions',
    check: (value) => (/^[A-Za-z0-9-]+$/.test(value) ? null : 'CLOUD_ENV_ID must be a CloudBase environment id (letters, digits and -)'),
  },
  {
    name: 'PAY_MODE',
    purpose: 'virtual (mini program virtual payment: required for virtual goods such as AI answers), cloudpay (CloudBase cloud pay) or v3 (WeChat Pay API v3, direct merchant)',
    secret: false,
    required: 'always',
    target: 'functions',
    check: (value) =>
      value === 'simulator'
        ? 'PAY_MODE=simulator is the local runtime\'s payment simulator: deploy with virtual, cloudpay or v3'
        : value === '' || (PAY_MODES_IN_THE_CLOUD as readonly string[]).includes(value) ? null : `PAY_MODE must be virtual, cloudpay or v3, not "${value}"`,
  },
  {
    name: 'OPENID_HASH_SECRET',
    purpose: 'HMAC key under which openids are stored',
    secret: true,
    required: 'always',
    target: 'functions',
    check: (value) =>
      value.length >= MIN_HASH_SECRET_LENGTH ? null : `OPENID_HASH_SECRET is too short: at least ${MIN_HASH_SECRET_LENGTH} characters (openssl rand -hex 32)`,
  },
  // Live text (docs/STREAMING.md): both, or neither (then orders carry no streamUrl and the page long-polls).
  {
    name: 'STREAM_TICKET_SECRET',
    purpose: 'HMAC key of the stream tickets getOrder issues and streamOrder checks',
    secret: true,
    required: 'no',
    target: 'functions',
    check: (value) => (value.length >= MIN_STREAM_TICKET_SECRET_LENGTH ? null : `STREAM_TICKET_SECRET is too short: at least ${MIN_STREAM_TICKET_SECRET_LENGTH} characters (openssl rand -hex 32)`),
  },
  {
    name: 'STREAM_BASE_URL',
    purpose: "https URL of streamOrder's HTTP access path, e.g. https://<env>.<region>.app.tcloudbase.com/stream",
    secret: false,
    required: 'no',
    target: 'functions',
    check: (value) => (/^https:\/\/[^\s?#]+$/.test(value) ? null : `STREAM_BASE_URL must be the https URL of streamOrder's HTTP access path, without a query, not "${value}"`),
  },
  {
    name: 'OPENID_SEAL_KEY',
    purpose: 'AES-256 key (base64) that seals an openid kept for a subscribe message',
    secret: true,
    required: 'always',
    target: 'functions',
    check: (value) =>
      Buffer.from(value, 'base64').length === 32 ? null : 'OPENID_SEAL_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)',
  },
  { name: 'WXPAY_SUB_MCH_ID', purpose: 'cloud pay sub-merchant id bound to the environment', secret: false, required: 'cloudpay', target: 'functions', check: digits('WXPAY_SUB_MCH_ID') },
  { name: 'MINIPROGRAM_STATE', purpose: 'subscribe messages open the developer, trial or formal version', secret: false, required: 'no', target: 'functions', check: oneOf('MINIPROGRAM_STATE', ['developer', 'trial', 'formal']) },
  { name: 'SUBSCRIBE_TEMPLATE_ID', purpose: 'one-time subscribe message template for "answer ready / refunded"', secret: false, required: 'no', target: 'functions' },
  {
    name: 'SUPPORT_CONTACT',
    purpose: 'the support contact shown beside every answer\'s 举报/反馈 (an e-mail address or a WeChat service account), listTiers\' support.contact',
    secret: false,
    required: 'no',
    target: 'functions',
    check: (value) => ([...value.trim()].length <= MAX_SUPPORT_CONTACT_CHARS ? null : `SUPPORT_CONTACT must be at most ${MAX_SUPPORT_CONTACT_CHARS} characters`),
  },
  { name: 'ORDER_TTL_SECONDS', purpose: 'how long an unpaid order can be paid', secret: false, required: 'no', target: 'functions', check: positive('ORDER_TTL_SECONDS') },
  { name: 'PAYMENT_GRACE_SECONDS', purpose: 'how long after creation a pending payment is left to its notification before WeChat Pay is asked directly', secret: false, required: 'no', target: 'functions', check: positive('PAYMENT_GRACE_SECONDS') },
  { name: 'RECONCILE_NOTIFICATION_GRACE_SECONDS', purpose: 'how long reconcile leaves a pending order to its notification', secret: false, required: 'no', target: 'functions', check: positive('RECONCILE_NOTIFICATION_GRACE_SECONDS') },
  { name: 'RECONCILE_BATCH_SIZE', purpose: 'orders reconcile takes per category per run', secret: false, required: 'no', target: 'functions', check: positive('RECONCILE_BATCH_SIZE') },
  { name: 'RECONCILE_GIVE_UP_SECONDS', purpose: 'after this long a paid order not being answered is refunded', secret: false, required: 'no', target: 'functions', check: positive('RECONCILE_GIVE_UP_SECONDS') },
  {
    name: 'GENERATION_LEASE_SECONDS',
    purpose: `how long a generation holds its order without renewing; a worker that died is resumed after it (${LEASE_SECONDS.min} to ${LEASE_SECONDS.max})`,
    secret: false,
    required: 'no',
    target: 'functions',
    check: (value) =>
      /^\d+$/.test(value) && Number(value) >= LEASE_SECONDS.min && Number(value) <= LEASE_SECONDS.max
        ? null
        : `GENERATION_LEASE_SECONDS must be a whole number from ${LEASE_SECONDS.min} to ${LEASE_SECONDS.max}, not "${value}"`,
  },
  { name: 'RATE_LIMIT_PER_MINUTE', purpose: 'orders one user may create per minute', secret: false, required: 'no', target: 'functions', check: positive('RATE_LIMIT_PER_MINUTE') },
  { name: 'PAYMENT_FEE_RATE', purpose: 'the payment fee as a fraction of the price (0.006)', secret: false, required: 'no', target: 'functions' },
  { name: 'BREAKER_FAILURES', purpose: 'consecutive failures that open a provider\'s breaker', secret: false, required: 'no', target: 'functions', check: positive('BREAKER_FAILURES') },
  { name: 'BREAKER_WINDOW_SECONDS', purpose: 'the window those failures are counted in', secret: false, required: 'no', target: 'functions', check: positive('BREAKER_WINDOW_SECONDS') },
  { name: 'BREAKER_COOLDOWN_SECONDS', purpose: 'how long an open breaker skips its provider', secret: false, required: 'no', target: 'functions', check: positive('BREAKER_COOLDOWN_SECONDS') },
  { name: 'TIER_OVERRIDES', purpose: 'operator changes to the tiers (JSON)', secret: false, required: 'no', target: 'functions' },
  { name: 'TOKEN_PACKS', purpose: 'the token packs for sale, replacing core/config/packs.ts (JSON list)', secret: false, required: 'no', target: 'functions' },
  // Content security and shipping information (docs/COMPLIANCE.md).
  {
    name: 'CONTENT_SECURITY',
    purpose: 'security.msgSecCheck on prompts and answers (on by default)',
    secret: false,
    required: 'no',
    target: 'functions',
    check: (value) => (['0', 'off', 'false', 'no'].includes(value.trim().toLowerCase()) ? 'CONTENT_SECURITY=off is for local development only: deploy with content security on' : null),
  },
  { name: 'CONTENT_SECURITY_SCENE', purpose: 'msgSecCheck scene: 1 资料, 2 评论, 3 论坛, 4 社交日志', secret: false, required: 'no', target: 'functions', check: oneOf('CONTENT_SECURITY_SCENE', ['1', '2', '3', '4']) },
  { name: 'CONTENT_REVIEW_BLOCKS', purpose: 'which review verdicts stop text: output, both or none', secret: false, required: 'no', target: 'functions', check: oneOf('CONTENT_REVIEW_BLOCKS', ['output', 'both', 'none']) },
  { name: 'CONTENT_CHECK_TIMEOUT_MS', purpose: 'one content check\'s time limit', secret: false, required: 'no', target: 'functions', check: positive('CONTENT_CHECK_TIMEOUT_MS') },
  { name: 'CONTENT_CHECK_FIRST_SEGMENT_CHARS', purpose: 'the first checked piece of an answer', secret: false, required: 'no', target: 'functions', check: positive('CONTENT_CHECK_FIRST_SEGMENT_CHARS') },
  { name: 'CONTENT_CHECK_SEGMENT_CHARS', purpose: 'the largest checked piece of an answer', secret: false, required: 'no', target: 'functions', check: positive('CONTENT_CHECK_SEGMENT_CHARS') },
  { name: 'CONTENT_CHECK_OVERLAP_CHARS', purpose: 'checked text repeated before each piece', secret: false, required: 'no', target: 'functions' },
  { name: 'CONTENT_CHECK_PIECE_WAIT_MS', purpose: 'the longest streamed text waits for its content-security piece to fill (0: pieces by size only)', secret: false, required: 'no', target: 'functions', check: digits('CONTENT_CHECK_PIECE_WAIT_MS') },
  { name: 'SHIPPING_INFO_REQUIRED', purpose: '1 when the merchant is subject to 发货信息管理', secret: false, required: 'no', target: 'functions', check: oneOf('SHIPPING_INFO_REQUIRED', ['0', '1']) },
  { name: 'SHIPPING_RETRY_BASE_SECONDS', purpose: 'first retry delay of a failed shipping upload', secret: false, required: 'no', target: 'functions', check: positive('SHIPPING_RETRY_BASE_SECONDS') },
  { name: 'LLM_BASE_URL', purpose: 'one OpenAI-compatible endpoint for every tier', secret: false, required: 'no', target: 'functions' },
  { name: 'LLM_API_KEY', purpose: 'the key of LLM_BASE_URL', secret: true, required: 'no', target: 'functions' },
  { name: 'LLM_MODEL', purpose: 'the model of LLM_BASE_URL', secret: false, required: 'no', target: 'functions' },
  ...providerVars(),
  { name: 'QUIET_LOGS', purpose: '1 silences info logs', secret: false, required: 'no', target: 'functions', check: oneOf('QUIET_LOGS', ['0', '1']) },
  // Mini program virtual payment (docs/VIRTUAL-PAYMENT.md): MP console → 虚拟支付 → 基本配置, and 开发设置 for the AppID/AppSecret.
  { name: 'XPAY_OFFER_ID', purpose: 'virtual payment OfferID (虚拟支付 → 基本配置)', secret: false, required: 'virtual', target: 'functions' },
  { name: 'XPAY_ENV', purpose: 'virtual payment env: 0 live (现网), 1 sandbox (沙箱, Android only)', secret: false, required: 'no', target: 'functions', check: oneOf('XPAY_ENV', ['0', '1']) },
  { name: 'XPAY_APP_KEY', purpose: 'virtual payment live AppKey (现网AppKey): signs env 0', secret: true, required: 'virtual', target: 'functions' },
  { name: 'XPAY_SANDBOX_APP_KEY', purpose: 'virtual payment sandbox AppKey (沙箱AppKey): signs env 1', secret: true, required: 'no', target: 'functions' },
  { name: 'WX_APPID', purpose: 'the mini program\'s AppID, for code2Session and stable_token', secret: false, required: 'virtual', target: 'functions', check: (value) => (/^wx[0-9a-f]{16}$/.test(value) ? null : 'WX_APPID must look like wx followed by 16 hex digits') },
  { name: 'WX_APPSECRET', purpose: 'the mini program\'s AppSecret, for code2Session and stable_token', secret: true, required: 'virtual', target: 'functions' },
  { name: 'WX_API_BASE_URL', purpose: 'where /xpay/, code2Session and stable_token go (https://api.weixin.qq.com)', secret: false, required: 'no', target: 'functions' },
  { name: 'XPAY_TOKEN_PRICE_FEN', purpose: 'the token\'s published price in fen (代币管理)', secret: false, required: 'no', target: 'functions', check: positive('XPAY_TOKEN_PRICE_FEN') },
  { name: 'XPAY_HIGHEST_FEE_RATE', purpose: 'the largest share of a virtual payment a platform keeps (iOS), below 1', secret: false, required: 'no', target: 'functions' },
  { name: 'WELCOME_TOKENS', purpose: 'tokens presented once to each new user (0: none)', secret: false, required: 'no', target: 'functions', check: (value) => (/^\d+$/.test(value) ? null : 'WELCOME_TOKENS must be a whole number') },
  // WeChat Pay API v3 (direct merchant): https://pay.weixin.qq.com/doc/v3/merchant/4012791874
  { name: 'WECHATPAY_APPID', purpose: 'the mini program\'s appid', secret: false, required: 'v3', target: 'functions' },
  { name: 'WECHATPAY_MCHID', purpose: 'merchant id', secret: false, required: 'v3', target: 'functions', check: digits('WECHATPAY_MCHID') },
  { name: 'WECHATPAY_MERCHANT_SERIAL', purpose: 'serial number of the merchant API certificate', secret: false, required: 'v3', target: 'functions' },
  { name: 'WECHATPAY_MERCHANT_PRIVATE_KEY', purpose: 'apiclient_key.pem (PEM, \\n allowed)', secret: true, required: 'v3', target: 'functions' },
  { name: 'WECHATPAY_PLATFORM_SERIAL', purpose: 'WeChat Pay public key id (or platform certificate serial)', secret: false, required: 'v3', target: 'functions' },
  { name: 'WECHATPAY_PLATFORM_PUBLIC_KEY', purpose: 'WeChat Pay public key or platform certificate (PEM)', secret: false, required: 'v3', target: 'functions' },
  { name: 'WECHATPAY_PLATFORM_CERT_SERIAL', purpose: 'a second platform certificate\'s serial, while migrating', secret: false, required: 'no', target: 'functions' },
  { name: 'WECHATPAY_PLATFORM_CERT', purpose: 'that certificate (PEM)', secret: false, required: 'no', target: 'functions' },
  { name: 'WECHATPAY_API_V3_KEY', purpose: 'the 32-character API v3 key', secret: true, required: 'v3', target: 'functions' },
  { name: 'WECHATPAY_NOTIFY_URL', purpose: 'https URL of payNotify\'s HTTP access path', secret: false, required: 'v3', target: 'functions' },
  // npm run upload (miniprogram-ci): https://developers.weixin.qq.com/miniprogram/dev/devtools/ci.html
  { name: 'MINIPROGRAM_APPID', purpose: 'the mini program\'s appid, for npm run upload', secret: false, required: 'no', target: 'upload', check: (value) => (/^wx[0-9a-f]{16}$/.test(value) ? null : 'MINIPROGRAM_APPID must look like wx followed by 16 hex digits') },
  { name: 'MINIPROGRAM_UPLOAD_KEY_PATH', purpose: 'path of the code upload key (private.<appid>.key), for npm run upload', secret: false, required: 'no', target: 'upload' },
  // The local runtime's: they point the functions at itself.
  { name: 'LOCAL_MODEL_URL', purpose: 'the local runtime\'s model server', secret: false, required: 'no', target: 'local' },
  { name: 'WECHATPAY_BASE_URL', purpose: 'the local runtime\'s WeChat Pay simulator', secret: false, required: 'no', target: 'local' },
];

export const FUNCTION_ENV_VARS = ENV_VARS.filter((spec) => spec.target === 'functions');

export function envVarSpec(name: string): EnvVarSpec | undefined {
  return ENV_VARS.find((spec) => spec.name === name);
}
