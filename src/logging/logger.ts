/** pino loggers configured by the Logging settings (level, text or JSON lines). */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export type LogLevelName = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

const PINO_LEVELS: Record<LogLevelName, pino.Level> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
};

/** pino's name of a ktrdr log level. */
export function pinoLevel(level: LogLevelName): pino.Level {
  return PINO_LEVELS[level];
}

export interface LoggerOptions {
  readonly level: LogLevelName;
  readonly format: 'text' | 'json';
  /** Process name shown on each line (`backend`, `worker`). */
  readonly name: string;
  /** Defaults to stdout. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const level = PINO_LEVELS[options.level];
  const base = { name: options.name };
  if (options.format === 'json') {
    return pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime }, options.destination ?? process.stdout);
  }
  const stream = pretty({
    sync: true,
    colorize: false,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    destination: options.destination ?? process.stdout,
  });
  return pino({ level, base }, stream);
}
