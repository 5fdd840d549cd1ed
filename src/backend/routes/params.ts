/** Path parameters shared by the routes. */
import { z } from 'zod';

export const IdParams = z.object({ id: z.string().min(1).max(200) });
export const Success = z.object({ success: z.literal(true) });
