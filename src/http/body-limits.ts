/**
 * How much each kind of request body may hold. Routes that receive what
 * workers produce (models, checkpoints, outcomes with results, a resume start
 * carrying checkpoint state) take the upload limit, a setting; everything else
 * is kilobytes, so that no request can make a process parse megabytes it has
 * no use for.
 */

/** The setting that raises the upload limit (named in 413 answers). */
export const UPLOAD_LIMIT_SETTING = 'KTRDR_HTTP_MAX_UPLOAD_MB';

/** Routes without a limit of their own: ids, flags, small JSON objects. */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/** Submissions carrying a strategy YAML, and registrations carrying the summaries of undelivered outcomes. */
export const SUBMISSION_BODY_LIMIT_BYTES = 256 * 1024;

/** What the upload limit adds to a worker's start body: the params around the checkpoint state. */
export const START_PARAMS_ALLOWANCE_BYTES = SUBMISSION_BODY_LIMIT_BYTES;

/** Longest path parameter the router passes on (decoded characters): room for every id the contract accepts, so
 *  that a too-long id gets a 400 naming the rule rather than a bare 414. */
export const MAX_PATH_PARAM_LENGTH = 1024;

export const megabytes = (mb: number): number => Math.round(mb * 1024 * 1024);
