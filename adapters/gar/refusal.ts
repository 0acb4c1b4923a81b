/**
 * How a Google endpoint's refusal reads. Every call (metadata server, STS, IAM Credentials) goes
 * through the core's exchange, which retries throttling (429 RESOURCE_EXHAUSTED), 5xx and dropped
 * connections; what is left is a refusal, and it becomes one line that says what to fix. Upstream
 * retries nothing and turns every failure into an anonymous pull (research/gcp-gar.md §1.2, §4);
 * here failures exit non-zero so the kubelet logs them.
 */
import { CredkitError, DEFAULT_ATTEMPTS, isRetryableStatus, type Refusal } from '../../core/index.ts';

/**
 * A refusal as the caller words it (`refused`), unless Google was still throttled or failing when
 * the attempts ran out: then it is `unavailable`, naming the service and the way out.
 */
export function googleRefusal(
  what: string,
  url: string,
  refusal: Refusal,
  refused: (status: number, reason: string) => CredkitError,
): CredkitError {
  if (!isRetryableStatus(refusal.status)) return refused(refusal.status, refusal.reason);
  return new CredkitError(
    'unavailable',
    `${what} (${new URL(url).host}) kept answering ${refusal.status} ${refusal.reason} after ${DEFAULT_ATTEMPTS} attempts: retry later or raise its quota`,
  );
}

/**
 * Google's reason, from either error shape: OAuth (`{"error":"invalid_grant","error_description":…}`,
 * STS) or API (`{"error":{"code":403,"status":"PERMISSION_DENIED","message":…}}`, IAM Credentials).
 * Anything else is the body itself; the core cuts it to one line within its budget.
 */
export function googleErrorReason(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (typeof body.error === 'string') {
      return body.error + (typeof body.error_description === 'string' ? `: ${body.error_description}` : '');
    }
    if (body.error && typeof body.error === 'object') {
      const api = body.error as { status?: unknown; code?: unknown; message?: unknown };
      return `${String(api.status ?? api.code ?? 'error')}${typeof api.message === 'string' ? `: ${api.message}` : ''}`;
    }
  } catch {}
  return text;
}
