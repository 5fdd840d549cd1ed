/**
 * Unique id prefixes wherever the CLI takes an operation or model id: `ktrdr ops show op_training_3f` or even
 * `ktrdr ops show 3f` (the part after `op_<type>_`). An exact id is used as it is (no listing); a prefix is looked
 * up in the backend's list, and more than one match is an error that lists them.
 */
import type { BackendApi } from '../client/backend-api.js';
import { HttpError } from '../client/http.js';
import { createError } from '../common/errors.js';

/** A prefix that matches several ids; the message lists them, so the user can type one more character. */
export class AmbiguousIdError extends createError('AmbiguousIdError', {
  message: (kind: string, prefix: string, matches: readonly string[]) => {
    const shown = matches.slice(0, 10);
    const more = matches.length > shown.length ? `, and ${matches.length - shown.length} more` : '';
    return `${kind} id prefix '${prefix}' is ambiguous: it matches ${matches.length} ${kind}s (${shown.join(', ')}${more}); type more of the id`;
  },
  fields: (kind, prefix, matches) => ({ kind, prefix, matches }),
}) {}

/** The ids among `ids` that `prefix` designates: the full id starts with it, or the part after `op_<type>_` / `mdl_` does. */
export function matchingIds(prefix: string, ids: readonly string[]): string[] {
  if (prefix === '') return [];
  const exact = ids.filter((id) => id === prefix);
  if (exact.length > 0) return exact;
  return ids.filter((id) => id.startsWith(prefix) || shortForm(id).startsWith(prefix));
}

/** `op_training_3f2a…` → `3f2a…`; `mdl_x` → `x`; anything else as it is. */
function shortForm(id: string): string {
  const operation = /^op_[a-z]+_(.+)$/.exec(id);
  if (operation) return operation[1] as string;
  return id.startsWith('mdl_') ? id.slice(4) : id;
}

/** The id a unique prefix designates; unknown prefixes are returned as they are, for the backend to answer 404. */
export function pickId(kind: string, prefix: string, ids: readonly string[]): string {
  const matches = matchingIds(prefix, ids);
  if (matches.length > 1) throw new AmbiguousIdError(kind, prefix, matches);
  return matches[0] ?? prefix;
}

/** The largest page the backend serves (ListOperationsQuery's limit). */
const ALL_OPERATIONS = 10_000;

const isNotFound = (error: unknown) => error instanceof HttpError && error.status === 404;

/**
 * Runs `action` with the operation id `idOrPrefix` designates. A full id costs nothing more than the action itself;
 * only when the backend answers 404 is the prefix looked up in the list (then the action runs again with the id
 * found, or the 404 stands when nothing else matches).
 */
export async function withOperationId<T>(api: BackendApi, idOrPrefix: string, action: (operationId: string) => Promise<T>): Promise<T> {
  try {
    return await action(idOrPrefix);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    const list = await api.listOperations({ limit: ALL_OPERATIONS });
    const id = pickId('operation', idOrPrefix, list.data.map((op) => op.operation_id));
    if (id === idOrPrefix) throw error;
    return action(id);
  }
}

/** Models are few and listing them is cheap (summaries only); the artifact of a wrong guess would not be. */
export async function resolveModelId(api: BackendApi, idOrPrefix: string): Promise<string> {
  const models = await api.listModels();
  return pickId('model', idOrPrefix, models.map((model) => model.model_id));
}
