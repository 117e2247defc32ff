import cloud from 'wx-server-sdk';
import { clientFunction } from '../../core/functions/serve';
import { getConversation } from '../../core/functions/getConversation';

export const main = clientFunction(cloud, getConversation);
