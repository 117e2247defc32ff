import cloud from 'wx-server-sdk';
import { clientFunction } from '../../core/functions/serve';
import { cancelOrder } from '../../core/functions/cancelOrder';

export const main = clientFunction(cloud, cancelOrder);
