import cloud from 'wx-server-sdk';
import { clientFunction } from '../../core/functions/serve';
import { getOrder } from '../../core/functions/getOrder';

export const main = clientFunction(cloud, getOrder);
