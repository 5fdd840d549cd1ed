/** zod parsing that fails with the module's own typed error, naming every problem by its path. */
import type { z } from 'zod';

export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  makeError: (message: string) => Error,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path === '' ? what : `${what}.${path}`}: ${issue.message}`;
  });
  throw makeError(problems.join('; '));
}
