import cloud from 'wx-server-sdk';
import { clientFunction } from '../../core/functions/serve';
import { listOrders } from '../../core/functions/listOrders';

export const main = clientFunction(cloud, listOrders);
