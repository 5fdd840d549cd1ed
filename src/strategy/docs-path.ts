/** Where `ktrdr strategy docs --write` writes the strategy format's documentation (apart, so the CLI's definitions name it without loading the generator). */
export const STRATEGY_DOCS_PATH = 'docs/strategies.md';
