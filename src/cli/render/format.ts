/** Small formatters shared by the tables and detail views. */

/** "3s ago", "5m ago", "2h ago", "4d ago"; "-" for never. */
export function formatAge(iso: string | null, now: number): string {
  if (!iso) return '-';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  return `${Math.round(hours / 24)}d ago`;
}

export function formatTimestamp(iso: string | null): string {
  return iso ?? '-';
}

export function formatPercentage(percentage: number): string {
  return `${Number(percentage.toFixed(1))}%`;
}

/**
 * A value for a one-line view: numbers rounded to 4 significant digits; a flat object (per-class figures such as
 * `recall`) as `[BUY=0.382 HOLD=0.7]`, a list as `[a b c]`, never raw JSON with its quotes and braces.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return `[${value.map(formatValue).join(' ')}]`;
  if (typeof value === 'object') return `[${formatFigures(value as Record<string, unknown>)}]`;
  return String(value);
}

/**
 * Keys holding a whole series (a training's per-epoch `history`, kept for the dashboard's curves): one line of
 * figures leaves them out.
 */
export const SERIES_KEYS: ReadonlySet<string> = new Set(['history']);

/** `{loss: 0.51234, epoch: 3}` → "loss=0.5123 epoch=3". */
export function formatFigures(figures: Record<string, unknown>): string {
  return Object.entries(figures)
    .filter(([key]) => !SERIES_KEYS.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`)
    .join(' ');
}

/** A fraction as a percentage: 0.1234 → "12.3%" (or with more digits for returns). */
export function formatFraction(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** Money with thousands separators and cents: 101234.5 → "101,234.50". */
export function formatMoney(amount: number): string {
  return amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** A price or a quantity: 6 significant digits, no exponent for everyday magnitudes. */
export function formatQuantity(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** An instant (ms since the epoch, or an ISO string) to the minute, UTC: "2024-01-05 13:00". */
export function formatInstant(value: unknown): string {
  const time = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(time)) return typeof value === 'string' ? value : '-';
  return new Date(time).toISOString().slice(0, 16).replace('T', ' ');
}
