import tcb from '@cloudbase/node-sdk';
import { streamOrderFunction } from '../../core/functions/streamOrder';

export const main = streamOrderFunction(tcb);
