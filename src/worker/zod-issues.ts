/** Zod issues as one message that names each field (`body.params.steps: …`). */
import type { z } from 'zod';

export function formatZodIssues(issues: readonly z.core.$ZodIssue[], prefix: string): string {
  return issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}
