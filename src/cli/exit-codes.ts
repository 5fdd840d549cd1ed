/** What `ktrdr`'s exit codes mean; scripts may rely on them. */
export const ExitCode = {
  /** Done, and everything was valid. */
  Ok: 0,
  /** The command ran and found a problem: invalid configuration, stale docs, a failed operation. */
  Failure: 1,
  /** The command line itself was wrong (unknown option, missing argument, unknown variable to explain). */
  Usage: 2,
} as const;
