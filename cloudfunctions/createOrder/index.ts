import cloud from 'wx-server-sdk';
import { clientFunction } from '../../core/functions/serve';
import { createOrder } from '../../core/functions/createOrder';

export const main = clientFunction(cloud, createOrder);
