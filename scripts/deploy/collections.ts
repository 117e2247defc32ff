/** One key of an index: `1` ascending, `-1` descending (CloudBase UpdateTable `MgoIndexKeys.Direction`). */
export interface IndexKey {
  field: string;
  direction: 1 | -1;
}

export interface IndexSpec {
  name: string;
  keys: readonly IndexKey[];
  unique: boolean;
  /** The query in core/ that needs it. */
  serves: string;
}

/**
 * A collection's permission (CloudBase `ModifyDatabaseACL` `AclTag`,
 * https://cloud.tencent.com/document/api/876/34819). `ADMINONLY` is the console's 仅管理端可读写:
 * no mini program can read or write it directly; only the cloud functions (the admin SDK) can.
 */
export type AclTag = 'ADMINONLY';

export interface CollectionSpec {
  name: string;
  acl: AclTag;
  /** The same rule written as a custom security rule, for the console's 自定义安全规则 view. */
  securityRule: { read: false; write: false };
  indexes: readonly IndexSpec[];
}

const asc = (field: string): IndexKey => ({ field, direction: 1 });
const desc = (field: string): IndexKey => ({ field, direction: -1 });
const closed = { acl: 'ADMINONLY', securityRule: { read: false, write: false } } as const;

/**
 * Every collection the functions use, with the indexes their queries need (`_id` is always
 * indexed). test/deploy-manifest.test.ts finds the collection names in core/ and checks that each
 * one is here.
 */
export const COLLECTIONS: readonly CollectionSpec[] = [
  {
    name: 'orders',
    ...closed,
    indexes: [
      { name: 'outTradeNo_unique', keys: [asc('outTradeNo')], unique: true, serves: 'OrderRepository.findByOutTradeNo (payment notifications, refunds)' },
      { name: 'userHash_createdAt', keys: [asc('userHash'), desc('createdAt')], unique: false, serves: 'OrderRepository.listForUser and countCreatedSince (history, rate limit)' },
      { name: 'status_createdAt', keys: [asc('status'), asc('createdAt')], unique: false, serves: 'reconcile: orders of one status older than a time' },
      { name: 'status_reconcilePasses', keys: [asc('status'), asc('reconcilePasses')], unique: false, serves: 'reconcile: OrderRepository.find(condition, batch, "reconcilePasses")' },
      {
        name: 'conversationId_createdAt',
        keys: [asc('conversationId'), asc('createdAt')],
        unique: false,
        serves: 'OrderRepository.turnsOf and completedTurnsBefore (a conversation\'s turns; a follow-up\'s context at generate time)',
      },
    ],
  },
  {
    name: 'conversations',
    ...closed,
    indexes: [
      { name: 'userHash_updatedAt', keys: [asc('userHash'), desc('updatedAt')], unique: false, serves: 'ConversationRepository.listForUser (history, newest activity first)' },
    ],
  },
  {
    name: 'reports',
    ...closed,
    indexes: [{ name: 'userHash_updatedAt', keys: [asc('userHash'), desc('updatedAt')], unique: false, serves: 'ReportRepository.countSince (reportAnswer\'s rate limit)' }],
  },
  {
    name: 'order_events',
    ...closed,
    indexes: [{ name: 'orderId_at', keys: [asc('orderId'), asc('at')], unique: false, serves: 'OrderRepository.events (an order\'s audit trail, in time order)' }],
  },
  { name: 'active_payments', ...closed, indexes: [] },
  { name: 'provider_health', ...closed, indexes: [] },
  {
    name: 'top_ups',
    ...closed,
    indexes: [
      { name: 'userHash_createdAt', keys: [asc('userHash'), desc('createdAt')], unique: false, serves: 'TopUpRepository.countCreatedSince (createTopUp\'s rate limit)' },
      { name: 'status_reconcilePasses', keys: [asc('status'), asc('reconcilePasses')], unique: false, serves: 'reconcile: top-ups of one status, least-visited first' },
    ],
  },
  { name: 'sessions', ...closed, indexes: [] },
  { name: 'welcomed_users', ...closed, indexes: [] },
  {
    name: 'prompt_checks',
    ...closed,
    indexes: [{ name: 'userHash_at', keys: [asc('userHash'), desc('at')], unique: false, serves: 'createOrder: the content checks one user caused in the last minute (rate limit)' }],
  },
  { name: 'payment_complaints', ...closed, indexes: [] },
  {
    name: 'wechatpay_nonces',
    ...closed,
    indexes: [{ name: 'at', keys: [asc('at')], unique: false, serves: 'payNotify: pruning nonces older than the replay window' }],
  },
];
