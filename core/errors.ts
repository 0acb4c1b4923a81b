/**
 * Typed errors. Every failure a provider can meet is one of these kinds; each kind has its own exit
 * code so an operator reading kubelet logs (`exit status N`) knows the class of problem at a glance,
 * and each message says what to fix.
 */

/** The classes of failure, in the words an operator would use. */
export const ERROR_KINDS = {
  /** A bug or an unexpected exception: nothing the operator did. */
  internal: 1,
  /** Bad command line or provider configuration (flags, env, config file). */
  usage: 2,
  /** stdin was not a valid CredentialProviderRequest. */
  request: 3,
  /** The service account token is unusable: wrong audience, expired, not a service account. */
  token: 4,
  /** The cloud refused the identity (AccessDenied, invalid_grant, AADSTS…). */
  denied: 5,
  /** The cloud could not be reached or kept failing (network, throttling, 5xx) within the deadline. */
  unavailable: 6,
  /** The overall deadline passed. */
  deadline: 7,
} as const;

export type ErrorKind = keyof typeof ERROR_KINDS;

/**
 * An error whose message is safe to print: one line, no secrets, and (where possible) the fix.
 * Adapters throw these; anything else is wrapped as `internal` by the runner.
 */
export class CredkitError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredkitError';
    this.kind = kind;
  }

  get exitCode(): number {
    return ERROR_KINDS[this.kind];
  }
}

export function isCredkitError(error: unknown): error is CredkitError {
  return error instanceof CredkitError;
}

/** Wraps anything thrown into a CredkitError, keeping the kind of ones that already are. */
export function toCredkitError(error: unknown, fallback: ErrorKind = 'internal'): CredkitError {
  if (isCredkitError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new CredkitError('deadline', 'the deadline passed before the credential was obtained', {
      cause: error,
    });
  }
  const text = error instanceof Error ? error.message : String(error);
  return new CredkitError(fallback, text, { cause: error });
}

/** Collapses a message to one line, as the kubelet appends stderr verbatim to its own log line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
