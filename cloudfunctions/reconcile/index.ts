import cloud from 'wx-server-sdk';
import { triggeredFunction } from '../../core/functions/serve';
import { reconcile } from '../../core/functions/reconcile';

export const main = triggeredFunction(cloud, 'reconcile', reconcile);
