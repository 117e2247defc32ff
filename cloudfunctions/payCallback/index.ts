import cloud from 'wx-server-sdk';
import { triggeredFunction } from '../../core/functions/serve';
import { payCallback } from '../../core/functions/payCallback';

export const main = triggeredFunction(cloud, 'payCallback', payCallback);
