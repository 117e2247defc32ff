import cloud from 'wx-server-sdk';
import { clientFunction } from '../../core/functions/serve';
import { getBalance } from '../../core/functions/getBalance';

export const main = clientFunction(cloud, getBalance);
