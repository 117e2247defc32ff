import cloud from 'wx-server-sdk';
import { clientFunction } from '../../core/functions/serve';
import { listTiers } from '../../core/functions/listTiers';

export const main = clientFunction(cloud, listTiers);
