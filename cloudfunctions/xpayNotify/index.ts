import cloud from 'wx-server-sdk';
import { triggeredFunction } from '../../core/functions/serve';
import { xpayNotify } from '../../core/functions/xpayNotify';

export const main = triggeredFunction(cloud, 'xpayNotify', xpayNotify);
