import cloud from 'wx-server-sdk';
import { triggeredFunction } from '../../core/functions/serve';
import { generate } from '../../core/functions/generate';

export const main = triggeredFunction(cloud, 'generate', generate);
