import { useEffect, useState } from 'preact/hooks';
import type { StrategyListResponse, StrategyProblemBody } from '../../../src/api/contract.js';
import type { PageProps } from '../main.js';

type Item = StrategyListResponse['items'][number];

/** `file:line:column`, the way `ktrdr strategy validate` points at a problem (the file alone when it has no node). */
const where = (file: string, problem: StrategyProblemBody) => (problem.line === undefined ? file : `${file}:${problem.line}:${problem.column ?? 1}`);

function Problems({ file, title, kind, list }: { file: string; title: string; kind: string; list: readonly StrategyProblemBody[] }) {
  if (list.length === 0) return null;
  return (
    <details open={kind === 'problem'}>
      <summary>
        {title} ({list.length})
      </summary>
      <ul class="problems">
        {list.map((problem) => (
          <li data-testid={`strategy-${kind}`} data-path={problem.path} data-line={problem.line ?? ''}>
            <code>{where(file, problem)}</code> <code>{problem.path || '(file)'}</code>: {problem.message}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** The strategy files of the backend's strategies directory, each validated as `ktrdr strategy validate` does. */
export function StrategiesPage({ api }: PageProps) {
  const [items, setItems] = useState<Item[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<StrategyListResponse>('/strategies').then(
      (answer) => setItems(answer.items),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, [api]);
  if (error) return <p class="error">{error}</p>;
  if (!items) return <p class="muted">Loading…</p>;
  const invalid = items.filter((item) => !item.valid).length;
  return (
    <section>
      <h1>Strategies</h1>
      <p class="muted">
        {items.length === 0 ? (
          'No strategy files (*.yaml, *.yml) in the backend’s KTRDR_DATA_STRATEGIES_DIR.'
        ) : (
          <>
            {items.length} in the backend’s KTRDR_DATA_STRATEGIES_DIR{invalid > 0 ? `, ${invalid} invalid` : ''}; checked as <code>ktrdr strategy validate</code> checks them.
          </>
        )}
      </p>
      <table data-testid="strategies">
        <thead>
          <tr>
            <th>Name</th>
            <th>Valid</th>
            <th>Data</th>
            <th>Problems, warnings, notes</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr data-strategy={item.name} data-valid={String(item.valid)}>
              <td>
                <code>{item.name}</code>
                {item.strategy !== null && item.strategy !== item.name && <div class="small muted">name: {item.strategy}</div>}
              </td>
              <td class={item.valid ? 'ok' : 'error'}>{item.valid ? 'valid' : `invalid (${item.problems.length})`}</td>
              <td>{item.valid ? `${item.symbols.join(', ')} · ${item.timeframes.join(', ')}` : '–'}</td>
              <td class="small">
                <Problems file={item.file} title="Problems" kind="problem" list={item.problems} />
                <Problems file={item.file} title="Warnings" kind="warning" list={item.warnings} />
                <Problems file={item.file} title="Notes" kind="note" list={item.notes} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
