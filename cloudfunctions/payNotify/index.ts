import cloud from 'wx-server-sdk';
import { triggeredFunction } from '../../core/functions/serve';
import { payNotify } from '../../core/functions/payNotify';

/** HTTP access path (CloudBase console): POST /wechatpay/notify → this function; WECHATPAY_NOTIFY_URL names it. */
export const main = triggeredFunction(cloud, 'payNotify', payNotify);
