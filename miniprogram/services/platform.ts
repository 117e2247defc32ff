/**
 * Which phone the mini program runs on, and whether it may sell there.
 *
 * Virtual payment reaches Apple on iOS only for "iOS 15 及以上" and "微信客户端升级至 8.0.68 及以上", and
 * a payment there is at least ¥1 (WeChat docs: 虚拟支付 > iOS 端接入,
 * developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/virtual-payment/ios.html).
 * On an older iPhone nothing may look like a sale: "开发者在iOS系统上提供的虚拟物品不能展现任何购买、支付的
 * 功能、页面、按钮" (《微信小程序平台运营规范》 14.6, as WeChat's notices quote it; one is in GitHub
 * EastWorld/wechat-app-mall issue 283). Android,
 * HarmonyOS and Windows pay through WeChat Pay with base library 2.19.2 or newer
 * (wx.requestVirtualPayment's page). Under wxpay (wx.requestPayment) none of this applies.
 */
import type { DevicePlatform, PayMode } from './types';

export interface Device {
  /** `wx.getDeviceInfo().platform`; null for a name this code does not know. */
  platform: DevicePlatform | null;
  /** The operating system and its version, e.g. "iOS 17.5.1" (`wx.getDeviceInfo().system`). */
  system: string;
  /** WeChat's own version, e.g. "8.0.68" (`wx.getAppBaseInfo().version`). */
  wechatVersion: string;
}

export const IOS_MIN_WECHAT_VERSION = '8.0.68';
export const IOS_MIN_SYSTEM_MAJOR = 15;
/** Apple's floor for one payment ("最低支付金额为 1 元"). */
export const IOS_MINIMUM_FEN = 100;

/**
 * The device now. wx.getDeviceInfo and wx.getAppBaseInfo need base library 2.20.1; before it the
 * same fields come from wx.getSystemInfoSync (deprecated since, never removed).
 */
export function currentDevice(): Device {
  if (typeof wx.getDeviceInfo === 'function' && typeof wx.getAppBaseInfo === 'function') {
    const device = wx.getDeviceInfo();
    return { platform: knownPlatform(device.platform), system: device.system, wechatVersion: wx.getAppBaseInfo().version };
  }
  const info = wx.getSystemInfoSync();
  return { platform: knownPlatform(info.platform), system: info.system, wechatVersion: info.version };
}

/** wx.getDeviceInfo's documented platforms; older typings declare the field as any string. */
const PLATFORMS: readonly DevicePlatform[] = ['ios', 'android', 'ohos', 'ohos_pc', 'windows', 'mac', 'devtools'];

function knownPlatform(value: string): DevicePlatform | null {
  return PLATFORMS.find((platform) => platform === value) ?? null;
}

/** `{ platform }` for a server call, or nothing when the platform is not one WeChat documents. */
export function platformField(): { platform?: DevicePlatform } {
  const { platform } = currentDevice();
  return platform ? { platform } : {};
}

/** -1, 0 or 1 as dotted version `a` is older than, equal to or newer than `b`; a missing part counts as 0. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map((part) => parseInt(part, 10));
  const right = b.split('.').map((part) => parseInt(part, 10));
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const x = Number.isNaN(left[i] ?? 0) ? 0 : (left[i] ?? 0);
    const y = Number.isNaN(right[i] ?? 0) ? 0 : (right[i] ?? 0);
    if (x !== y) return x > y ? 1 : -1;
  }
  return 0;
}

/** The major version in "iOS 17.5.1" (or "iPadOS 16.1"); null when it cannot be read. */
export function iosMajorVersion(system: string): number | null {
  const match = /(\d+)(?:\.\d+)*/.exec(system);
  return match ? parseInt(match[1] as string, 10) : null;
}

/** Whether wx.requestVirtualPayment can take a payment on this device. Unreadable versions count as too old. */
export function virtualPaymentAvailable(device: Device): boolean {
  if (device.platform !== 'ios') return true;
  const major = iosMajorVersion(device.system);
  return major !== null && major >= IOS_MIN_SYSTEM_MAJOR && /^\d/.test(device.wechatVersion) && compareVersions(device.wechatVersion, IOS_MIN_WECHAT_VERSION) >= 0;
}

/** The smallest payment the platform takes, in fen (0: no floor of its own). */
export function minimumPaymentFen(device: Device): number {
  return device.platform === 'ios' ? IOS_MINIMUM_FEN : 0;
}

const PAY_MODE_KEY = 'payMode';

/** Kept from the last listTiers, so a page opened first knows it before it asks. */
export function rememberPayMode(mode: PayMode): void {
  try {
    wx.setStorageSync(PAY_MODE_KEY, mode);
  } catch {
    // Storage full or unavailable: the cautious default below applies.
  }
}

/** The server's payment mode as last seen; virtual payment (the production default) until one was seen. */
export function knownPayMode(): PayMode {
  try {
    return wx.getStorageSync(PAY_MODE_KEY) === 'wxpay' ? 'wxpay' : 'virtual';
  } catch {
    return 'virtual';
  }
}

/** Whether the pages may show prices, packs, buy buttons and payment words on this device (read once per render by a caller that has it). */
export function paymentShownHere(device: Device = currentDevice()): boolean {
  return knownPayMode() === 'wxpay' || virtualPaymentAvailable(device);
}
