/** Path parameters shared by the routes. */
import { z } from 'zod';
import { Id, ModelId } from '../../api/contract.js';

export const IdParams = z.object({ id: Id() });
export const ModelIdParams = z.object({ id: ModelId });
export const CheckpointParams = IdParams.extend({ checkpoint_id: Id() });
export const Success = z.object({ success: z.literal(true) });
