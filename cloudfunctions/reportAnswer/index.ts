import cloud from 'wx-server-sdk';
import { clientFunction } from '../../core/functions/serve';
import { reportAnswer } from '../../core/functions/reportAnswer';

export const main = clientFunction(cloud, reportAnswer);
