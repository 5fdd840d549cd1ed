/**
 * The live view of one operation's progress. On a terminal it is a cli-progress
 * bar redrawn in place; elsewhere (a pipe, a log, a test, TERM=dumb) it prints one line
 * each time the progress changes, so the output stays readable.
 */
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import type { SingleBar } from 'cli-progress';
import type { OperationRecord } from '../../api/contract.js';
import { isCapableTerminal } from '../output.js';
import { formatFigures, formatPercentage } from './format.js';

export interface ProgressView {
  update(op: OperationRecord): void;
  /** Leaves the last state on screen. */
  stop(): void;
}

const BAR_WIDTH = 30;

function stepText(op: OperationRecord): string {
  return op.progress.current_step ?? (op.status === 'pending' ? 'waiting for a worker' : '-');
}

/** The figures shown after the step; '' for none. Each operation type may read its context its own way. */
export type ProgressFigures = (op: OperationRecord) => string;

/** Every figure of the progress context as `key=value` (the dummy's, and any type without its own). */
export const contextFigures: ProgressFigures = (op) => formatFigures(op.progress.context);

export function createProgressView(stream: NodeJS.WriteStream = process.stdout, figures: ProgressFigures = contextFigures, env: NodeJS.ProcessEnv = process.env): ProgressView {
  const figuresText = (op: OperationRecord) => {
    const text = figures(op);
    return text ? ` | ${text}` : '';
  };
  return isCapableTerminal(stream, env) ? new TerminalProgressView(stream, figuresText) : new LineProgressView(stream, figuresText);
}

/**
 * cli-progress, required when a bar is drawn on a terminal: the renderers import this module for its figures, and
 * `ktrdr --help` or a piped command should not load the bar library (docs/architecture.md §1).
 */
const cliProgress = (): typeof CliProgress => createRequire(import.meta.url)('cli-progress') as typeof CliProgress;

class TerminalProgressView implements ProgressView {
  private readonly bar: SingleBar;
  private started = false;

  constructor(
    stream: NodeJS.WriteStream,
    private readonly figuresText: ProgressFigures,
  ) {
    this.bar = new (cliProgress().SingleBar)({
      stream,
      format: `{bar} {percentage}% {status} | {step}{figures}`,
      barsize: BAR_WIDTH,
      hideCursor: false,
      clearOnComplete: false,
      stopOnComplete: false,
    });
  }

  update(op: OperationRecord): void {
    const payload = { status: op.status, step: stepText(op), figures: this.figuresText(op) };
    const value = Math.round(op.progress.percentage);
    if (!this.started) {
      this.bar.start(100, value, payload);
      this.started = true;
    } else {
      this.bar.update(value, payload);
    }
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.bar.stop();
  }
}

class LineProgressView implements ProgressView {
  private last = '';

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly figuresText: ProgressFigures,
  ) {}

  update(op: OperationRecord): void {
    const filled = Math.round((op.progress.percentage / 100) * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
    const line = `${bar} ${formatPercentage(op.progress.percentage).padStart(4)} ${op.status} | ${stepText(op)}${this.figuresText(op)}`;
    if (line === this.last) return;
    this.last = line;
    this.stream.write(`${line}\n`);
  }

  stop(): void {}
}
