import cloud from 'wx-server-sdk';
import { triggeredFunction } from '../../core/functions/serve';
import { refundCallback } from '../../core/functions/refundCallback';

export const main = triggeredFunction(cloud, 'refundCallback', refundCallback);
