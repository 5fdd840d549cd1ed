import { readFileSync } from 'node:fs';

/** ktrdr's version, from package.json (two levels above dist/src/common). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
