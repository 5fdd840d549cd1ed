/** Typed failures of the backtest modules; messages name the input, the value and the rule. */
export class BacktestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BacktestError';
  }
}
