/** Small display helpers shared by the pages. */
export const ago = (iso: string | null): string => {
  if (!iso) return '—';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.max(0, seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return new Date(iso).toLocaleString();
};

export const num = (value: unknown, digits = 4): string =>
  typeof value === 'number' && Number.isFinite(value) ? String(Number(value.toFixed(digits))) : value === null || value === undefined ? '—' : String(value);

export const pct = (value: unknown): string => (typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(2)} %` : '—');

export function downloadCsv(name: string, header: readonly string[], rows: readonly (readonly unknown[])[]): void {
  const cell = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const csv = [header, ...rows].map((row) => row.map(cell).join(',')).join('\n');
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  URL.revokeObjectURL(url);
}
