import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

/** The process environment, or one of the env files. */
export type Origin = 'env' | 'env-file';

/** One env file that was found and read. */
export interface EnvFile {
  /** As the user knows it (`.env.local`), named in warnings and `config show`. */
  readonly name: string;
  readonly path: string;
  readonly values: Readonly<Record<string, string>>;
}

/** Where raw values come from: the environment first, then each env file in order. */
export interface SettingsSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The env files that exist, in the order they are consulted. */
  readonly files: readonly EnvFile[];
}

/** One place a value can be found, in lookup order. */
export interface SourcePlace {
  readonly origin: Origin;
  /** The env file's name; null for the environment. */
  readonly file: string | null;
  readonly values: Readonly<Record<string, string | undefined>>;
}

export interface LoadSourcesOptions {
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Env files of the working directory, first match wins. */
  envFileNames?: readonly string[];
}

/** `.env.local` (this machine's overrides) before `.env` (the conventional file other tools write too). */
export const DEFAULT_ENV_FILE_NAMES: readonly string[] = ['.env.local', '.env'];

export class EnvFileError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'EnvFileError';
  }
}

function readEnvFile(cwd: string, name: string): EnvFile | null {
  const path = join(cwd, name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new EnvFileError(path, error);
  }
  return { name, path, values: parseEnv(text) as Record<string, string> };
}

/** Snapshot of the process environment and the env files of the working directory. */
export function loadSources(options: LoadSourcesOptions = {}): SettingsSources {
  const env = { ...(options.env ?? process.env) };
  const cwd = options.cwd ?? process.cwd();
  const files = (options.envFileNames ?? DEFAULT_ENV_FILE_NAMES).flatMap((name) => readEnvFile(cwd, name) ?? []);
  return { env, files };
}

export function sourcePlaces(sources: SettingsSources): SourcePlace[] {
  return [
    { origin: 'env', file: null, values: sources.env },
    ...sources.files.map((file): SourcePlace => ({ origin: 'env-file', file: file.name, values: file.values })),
  ];
}

/** The raw value a place holds for a name; an empty value counts as unset. */
export function lookup(place: SourcePlace, name: string): string | undefined {
  const raw = place.values[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw;
}

/** ` (in .env.local)` for a name found in an env file, nothing for the environment. */
export function placeSuffix(file: string | null): string {
  return file === null ? '' : ` (in ${file})`;
}
