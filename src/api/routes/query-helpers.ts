/** Query parameter pieces shared by list routes. */
import { z } from '@hono/zod-openapi';
import { parseIso } from '../../lib/time.ts';

/** An RFC 3339 timestamp → epoch ms. */
export const rfc3339 = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return undefined;
    const ms = parseIso(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not an RFC 3339 timestamp such as 2026-04-01T12:00:00Z` });
      return z.NEVER;
    }
    return ms;
  });

export const orderSchema = z.enum(['asc', 'desc']).optional();
