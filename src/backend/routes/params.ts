/** Path parameters shared by the routes. */
import { z } from 'zod';
import { StoredText } from '../../api/contract.js';

export const IdParams = z.object({ id: StoredText().min(1).max(200) });
export const CheckpointParams = IdParams.extend({ checkpoint_id: StoredText().min(1).max(200) });
export const Success = z.object({ success: z.literal(true) });
