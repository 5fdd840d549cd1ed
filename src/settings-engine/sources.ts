import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

export type Origin = 'env' | 'env-file';

/** Where raw values come from, in the order they are consulted. */
export interface SettingsSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly envFile: Readonly<Record<string, string>>;
  /** The file that was read, or null when there is none. */
  readonly envFilePath: string | null;
}

export interface LoadSourcesOptions {
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  envFileName?: string;
}

export class EnvFileError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'EnvFileError';
  }
}

/** Snapshot of the process environment and the env file of the working directory. */
export function loadSources(options: LoadSourcesOptions = {}): SettingsSources {
  const env = { ...(options.env ?? process.env) };
  const path = join(options.cwd ?? process.cwd(), options.envFileName ?? '.env.local');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { env, envFile: {}, envFilePath: null };
    throw new EnvFileError(path, error);
  }
  return { env, envFile: parseEnv(text) as Record<string, string>, envFilePath: path };
}

/** The raw value a source holds for a name; an empty value counts as unset. */
export function lookup(sources: SettingsSources, origin: Origin, name: string): string | undefined {
  const raw = origin === 'env' ? sources.env[name] : sources.envFile[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw;
}
