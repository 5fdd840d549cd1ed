import { useEffect, useState } from 'preact/hooks';
import type { SettingsReportResponse } from '../../../src/backend/routes/settings.js';
import type { PageProps } from '../main.js';

const show = (value: unknown) => (value === null || value === undefined ? '(unset)' : Array.isArray(value) ? value.join(',') : String(value));

/** The backend's settings, grouped, each with where its value comes from; secrets arrive redacted. */
export function ConfigPage({ api }: PageProps) {
  const [report, setReport] = useState<SettingsReportResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<SettingsReportResponse>('/config').then(setReport, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [api]);
  if (error) return <p class="error">{error}</p>;
  if (!report) return <p class="muted">Loading…</p>;
  const groups = [...new Set(report.settings.map((row) => row.group))];
  return (
    <section>
      <h1>Configuration</h1>
      <p class="muted">
        KTRDR_ENV={report.env}, as the backend resolved it at start-up (environment, then .env.local, then the default). Secrets are redacted.
      </p>
      {report.warnings.length > 0 && (
        <ul class="banner" data-testid="config-warnings">
          {report.warnings.map((w) => (
            <li>{w}</li>
          ))}
        </ul>
      )}
      <table data-testid="config">
        <thead>
          <tr>
            <th>Variable</th>
            <th>Value</th>
            <th>Source</th>
            <th>Default</th>
            <th>What</th>
          </tr>
        </thead>
        {groups.map((group) => (
          <tbody>
            <tr>
              <th colSpan={5}>{group}</th>
            </tr>
            {report.settings
              .filter((row) => row.group === group)
              .map((row) => (
                <tr data-env={row.env}>
                  <td>
                    <code>{row.env}</code>
                  </td>
                  <td>
                    <code>{show(row.value)}</code>
                  </td>
                  <td>{row.source === 'default' ? 'default' : `${row.source_name ?? ''} (${row.source_file ?? 'environment'})`}</td>
                  <td>
                    <code>{show(row.default)}</code>
                  </td>
                  <td class="small">{row.description}</td>
                </tr>
              ))}
          </tbody>
        ))}
      </table>
    </section>
  );
}
