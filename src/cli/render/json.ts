/** JSON for scripts: a document (pretty) or one line per event (for streams such as `ops watch --json`). */
export function printJson(value: unknown, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printJsonLine(value: unknown, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(`${JSON.stringify(value)}\n`);
}

/**
 * The one shape of every list for scripts (`ops list`, `models list`, `workers`, `data list`, `strategy list`,
 * `ops checkpoints`): `{ "items": [...], "total": N }`, where `total` counts every match (more than the items when
 * a `--limit` cut the page), plus any counts the command adds (`active` for operations).
 */
export function listDocument<T>(items: readonly T[], extra: { total?: number } & Record<string, unknown> = {}): { items: readonly T[]; total: number } {
  return { items, ...extra, total: extra.total ?? items.length };
}

export function printList<T>(items: readonly T[], extra: { total?: number } & Record<string, unknown> = {}, stream: NodeJS.WritableStream = process.stdout): void {
  printJson(listDocument(items, extra), stream);
}
