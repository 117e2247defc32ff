/** Functions the mini program may call. Everything else is started by the platform or a timer. */
export const CLIENT_CALLABLE = ['createOrder', 'getOrder', 'listOrders', 'cancelOrder', 'listTiers'] as const;
export type ClientFunctionName = (typeof CLIENT_CALLABLE)[number];

export const TRIGGERED = ['payCallback', 'payNotify', 'refundCallback', 'generate', 'reconcile'] as const;
export type TriggeredFunctionName = (typeof TRIGGERED)[number];

export function isClientCallable(name: string): name is ClientFunctionName {
  return (CLIENT_CALLABLE as readonly string[]).includes(name);
}
