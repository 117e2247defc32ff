import cloud from 'wx-server-sdk';
import { clientFunction } from '../../core/functions/serve';
import { deleteConversation } from '../../core/functions/deleteConversation';

export const main = clientFunction(cloud, deleteConversation);
