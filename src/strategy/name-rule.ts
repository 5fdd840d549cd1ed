/**
 * What a strategy name may be, in one place for the request contract (`strategy_name`) and the file lookup
 * (`readNamedStrategy`): a file name inside the strategies directory that cannot leave it and that every file
 * system takes (names over 255 bytes are refused; we stop at 200). Imports nothing, so the contract can use it.
 */
export const MAX_STRATEGY_NAME_LENGTH = 200;

/** Letters, digits, '_', '-' and '.', not starting with '.', 1 to MAX_STRATEGY_NAME_LENGTH of them. */
export const STRATEGY_NAME_PATTERN = new RegExp(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,${MAX_STRATEGY_NAME_LENGTH - 1}}$`);

export const STRATEGY_NAME_RULE = `1 to ${MAX_STRATEGY_NAME_LENGTH} letters, digits, '_', '-' or '.', not starting with '.'`;
