import { useEffect, useState } from 'preact/hooks';
import type { z } from 'zod';
import { BacktestStartBody, DummyStartBody, TrainingStartBody, type OperationRecord } from '../../../src/api/contract.js';
import { ApiError, type Api } from '../api.js';
import { useLive } from '../live.js';
import type { PageProps } from '../main.js';

const STATUSES = ['', 'pending', 'running', 'completed', 'failed', 'cancelled'] as const;
const TYPES = ['', 'training', 'backtesting', 'dummy'] as const;

/** The filterable list, with live progress bars and cancel / resume, and the form that starts work. */
export function OperationsPage({ api, live }: PageProps) {
  const { operations } = useLive(live);
  const [status, setStatus] = useState('');
  const [type, setType] = useState('');
  const [actionError, setActionError] = useState<string | null>(null);
  const rows = [...operations.values()]
    .filter((o) => (!status || o.status === status) && (!type || o.operation_type === type))
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
  const act = async (what: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await what();
      await live.reload();
    } catch (error) {
      setActionError(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <section>
      <h1>Operations</h1>
      <StartForm api={api} onStarted={() => void live.reload()} />
      <div class="filters">
        <label>
          Status{' '}
          <select name="status-filter" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            {STATUSES.map((s) => (
              <option value={s}>{s || 'any'}</option>
            ))}
          </select>
        </label>
        <label>
          Type{' '}
          <select name="type-filter" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            {TYPES.map((s) => (
              <option value={s}>{s || 'any'}</option>
            ))}
          </select>
        </label>
      </div>
      {actionError && <p class="error">{actionError}</p>}
      <table data-testid="operations">
        <thead>
          <tr>
            <th>Operation</th>
            <th>Type</th>
            <th>Status</th>
            <th>Progress</th>
            <th>Step</th>
            <th>Worker</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((o) => (
            <OperationRow key={o.operation_id} operation={o} onCancel={() => act(() => api.cancel(o.operation_id))} onResume={() => act(() => api.resume(o.operation_id))} />
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={7} class="muted">
                No operation matches.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

function OperationRow({ operation: o, onCancel, onResume }: { operation: OperationRecord; onCancel: () => void; onResume: () => void }) {
  const active = o.status === 'pending' || o.status === 'running';
  return (
    <tr data-operation={o.operation_id} data-status={o.status}>
      <td>
        <a href={`#/operation/${encodeURIComponent(o.operation_id)}`}>{o.operation_id}</a>
      </td>
      <td>{o.operation_type}</td>
      <td>
        <span class={`status status-${o.status}`} data-testid="operation-status">
          {o.status}
        </span>
        {o.error_message && <div class="error small">{o.error_message}</div>}
      </td>
      <td>
        <progress max={100} value={o.progress.percentage} data-testid="progress" data-value={o.progress.percentage} /> {Math.round(o.progress.percentage)} %
      </td>
      <td>{o.progress.current_step ?? '—'}</td>
      <td>{o.worker_id ?? '—'}</td>
      <td>
        {active && <button onClick={onCancel}>Cancel</button>}
        {(o.status === 'failed' || o.status === 'cancelled') && <button onClick={onResume}>Resume</button>}
      </td>
    </tr>
  );
}

type Kind = 'training' | 'backtest' | 'dummy';
type Fields = Record<string, string>;

const FIELDS: Record<Kind, readonly (readonly [string, string, string])[]> = {
  training: [
    ['strategy', 'Strategy (file name or YAML)', 'rsi_adx_example'],
    ['symbol', 'Symbol', 'EURUSD'],
    ['timeframe', 'Timeframe', '1h'],
    ['start_date', 'Start date', ''],
    ['end_date', 'End date', ''],
  ],
  backtest: [
    ['model', 'Model', ''],
    ['start_date', 'Start date', ''],
    ['end_date', 'End date', ''],
  ],
  dummy: [
    ['steps', 'Steps', '20'],
    ['step_delay_ms', 'Step delay (ms)', '200'],
  ],
};

const SCHEMA: Record<Kind, z.ZodType> = { training: TrainingStartBody, backtest: BacktestStartBody, dummy: DummyStartBody };
const PATH: Record<Kind, string> = { training: '/trainings/start', backtest: '/backtests/start', dummy: '/dummy/start' };
const NUMERIC = new Set(['steps', 'step_delay_ms']);

/** Checked with the API's own schemas first; what the backend still refuses appears beside the field it names. */
function StartForm({ api, onStarted }: { api: Api; onStarted: (id: string) => void }) {
  const [kind, setKind] = useState<Kind>('training');
  const [values, setValues] = useState<Fields>({});
  const [errors, setErrors] = useState<Fields>({});
  const [message, setMessage] = useState<string | null>(null);
  const [models, setModels] = useState<string[]>([]);
  useEffect(() => {
    if (kind === 'backtest') api.get<{ model_id: string }[]>('/models').then((list) => setModels(list.map((m) => m.model_id)), () => setModels([]));
  }, [kind, api]);

  const body = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [name, , placeholder] of FIELDS[kind]) {
      const raw = (values[name] ?? (kind === 'dummy' ? placeholder : '')).trim();
      if (raw === '') continue;
      out[name] = NUMERIC.has(name) ? Number(raw) : raw;
    }
    if (kind === 'dummy') out.worker_type = 'training';
    return out;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setMessage(null);
    const payload = body();
    const local = SCHEMA[kind].safeParse(payload);
    if (!local.success) {
      const found: Fields = {};
      for (const issue of local.error.issues) found[String(issue.path[0] ?? 'form')] = issue.message;
      setErrors(found);
      return;
    }
    setErrors({});
    try {
      const started = await api.post<{ operation_id: string }>(PATH[kind], payload);
      setMessage(`Started ${started.operation_id}`);
      onStarted(started.operation_id);
    } catch (error) {
      if (error instanceof ApiError) {
        const fields = error.fieldErrors();
        setErrors(fields);
        if (Object.keys(fields).length === 0) setMessage(error.body.message);
      } else setMessage(String(error));
    }
  };

  return (
    <form class="start-form" onSubmit={submit} data-testid="start-form">
      <fieldset>
        <legend>Start</legend>
        <label>
          Kind{' '}
          <select
            name="kind"
            value={kind}
            onChange={(e) => {
              setKind((e.target as HTMLSelectElement).value as Kind);
              setErrors({});
              setMessage(null);
            }}
          >
            <option value="training">training</option>
            <option value="backtest">backtest</option>
            <option value="dummy">dummy (infrastructure test)</option>
          </select>
        </label>
        {FIELDS[kind].map(([name, label, placeholder]) => (
          <label class="field">
            {label}
            {name === 'model' ? (
              <select name={name} value={values[name] ?? ''} onChange={(e) => setValues({ ...values, [name]: (e.target as HTMLSelectElement).value })}>
                <option value="">— choose a model —</option>
                {models.map((m) => (
                  <option value={m}>{m}</option>
                ))}
              </select>
            ) : (
              <input
                name={name}
                placeholder={placeholder}
                value={values[name] ?? ''}
                onInput={(e) => setValues({ ...values, [name]: (e.target as HTMLInputElement).value })}
              />
            )}
            {errors[name] && (
              <span class="error field-error" data-field-error={name}>
                {errors[name]}
              </span>
            )}
          </label>
        ))}
        {errors.form && <span class="error">{errors.form}</span>}
        <button type="submit">Start {kind}</button>
        {message && (
          <span class="message" data-testid="start-message">
            {message}
          </span>
        )}
      </fieldset>
    </form>
  );
}
