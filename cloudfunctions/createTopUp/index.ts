import cloud from 'wx-server-sdk';
import { clientFunction } from '../../core/functions/serve';
import { createTopUp } from '../../core/functions/createTopUp';

export const main = clientFunction(cloud, createTopUp);
