import cloud from 'wx-server-sdk';
import { clientFunction } from '../../core/functions/serve';
import { listConversations } from '../../core/functions/listConversations';

export const main = clientFunction(cloud, listConversations);
