// Request limits the server enforces, shared by the app that sets them and the error handler that names them.

/** The largest request body accepted; a larger one is refused with payload_too_large. */
export const BODY_LIMIT_BYTES = 64 * 1024
