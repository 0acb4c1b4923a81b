/**
 * The exec-plugin wire protocol (credentialprovider.kubelet.k8s.io v1, v1beta1, v1alpha1).
 * The schemas are the single source of the types. Requests are read leniently (unknown fields are
 * tolerated for forward compatibility); responses are built strictly, because the kubelet decodes
 * them with a strict, case-sensitive decoder and silently drops any response with an extra field
 * (research/kubelet-protocol.md §1.4, §1.5).
 */
// zod/mini: the same schemas, built in a fraction of the time of classic zod's (bench: ~7 ms of
// every exec's start-up), which matters on the image-pull path.
import * as z from 'zod/mini';
import { isGoDuration } from './duration.ts';

export const GROUP = 'credentialprovider.kubelet.k8s.io';
export const API_VERSIONS = [`${GROUP}/v1`, `${GROUP}/v1beta1`, `${GROUP}/v1alpha1`] as const;
export const API_VERSION_V1 = API_VERSIONS[0];

export const apiVersionSchema = z.enum(API_VERSIONS);
export type ApiVersion = z.infer<typeof apiVersionSchema>;

export const CACHE_KEY_TYPES = ['Image', 'Registry', 'Global'] as const;
export const cacheKeyTypeSchema = z.enum(CACHE_KEY_TYPES);
export type CacheKeyType = z.infer<typeof cacheKeyTypeSchema>;

/** The kubelet config's tokenAttributes.cacheType (v1.34+). */
export const SERVICE_ACCOUNT_CACHE_TYPES = ['ServiceAccount', 'Token'] as const;
export const serviceAccountCacheTypeSchema = z.enum(SERVICE_ACCOUNT_CACHE_TYPES);
export type ServiceAccountCacheType = z.infer<typeof serviceAccountCacheTypeSchema>;

/**
 * A request as the kubelet writes it. The service account fields exist only in v1; older versions
 * drop them on conversion, so they are ignored there rather than trusted.
 */
export const credentialProviderRequestSchema = z.pipe(
  z.looseObject({
    kind: z.literal('CredentialProviderRequest', { error: 'expected "CredentialProviderRequest"' }),
    apiVersion: z.enum(API_VERSIONS, { error: `expected one of ${API_VERSIONS.join(', ')}` }),
    image: z.string({ error: 'expected a string' }).check(z.minLength(1, 'image must not be empty')),
    serviceAccountToken: z.optional(z.string({ error: 'expected a string' })),
    serviceAccountAnnotations: z.optional(z.record(z.string(), z.string(), { error: 'expected a map of strings' })),
  }),
  z.transform((request) => ({
    kind: request.kind,
    apiVersion: request.apiVersion,
    image: request.image,
    ...(request.apiVersion === API_VERSION_V1 && request.serviceAccountToken
      ? { serviceAccountToken: request.serviceAccountToken }
      : {}),
    ...(request.apiVersion === API_VERSION_V1 && request.serviceAccountAnnotations
      ? { serviceAccountAnnotations: request.serviceAccountAnnotations }
      : {}),
  })),
);
export type CredentialProviderRequest = z.output<typeof credentialProviderRequestSchema>;

export const authConfigSchema = z.strictObject({
  username: z.string(),
  password: z.string(),
});
export type AuthConfig = z.infer<typeof authConfigSchema>;

/** What metav1.Duration decodes: a JSON string Go's time.ParseDuration accepts (negative included). */
export const goDurationSchema = z
  .string()
  .check(z.refine(isGoDuration, 'must be a Go duration string such as "6h0m0s"'));

/**
 * What the kubelet's strict decoder accepts: exactly these fields, case-sensitive, nothing else.
 * The fake kubelet judges with this one.
 */
export const kubeletResponseSchema = z.strictObject({
  kind: z.literal('CredentialProviderResponse'),
  apiVersion: apiVersionSchema,
  cacheKeyType: cacheKeyTypeSchema,
  cacheDuration: z.optional(goDurationSchema),
  auth: z.nullish(z.record(z.string(), authConfigSchema)),
});

/** What credkit writes: the kubelet's schema, minus what it accepts only by accident (negative durations). */
export const credentialProviderResponseSchema = z.extend(kubeletResponseSchema, {
  cacheDuration: z.optional(
    goDurationSchema.check(z.refine((value) => !value.startsWith('-'), 'must not be negative')),
  ),
  auth: z.optional(z.record(z.string(), authConfigSchema)),
});
export type CredentialProviderResponse = z.infer<typeof credentialProviderResponseSchema>;

/**
 * Serialises a response the way the kubelet's own encoder does: fields in declaration order,
 * auth keys sorted, one trailing newline. Validates first, so an invalid response cannot be written.
 */
export function encodeResponse(response: CredentialProviderResponse): string {
  const valid = credentialProviderResponseSchema.parse(response);
  const ordered: Record<string, unknown> = {
    kind: valid.kind,
    apiVersion: valid.apiVersion,
    cacheKeyType: valid.cacheKeyType,
  };
  if (valid.cacheDuration !== undefined) ordered.cacheDuration = valid.cacheDuration;
  const auth = valid.auth ?? {};
  if (Object.keys(auth).length > 0) {
    ordered.auth = Object.fromEntries(
      Object.entries(auth)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, { username, password }]) => [key, { username, password }]),
    );
  }
  return `${JSON.stringify(ordered)}\n`;
}

/** Encodes a request exactly as the kubelet writes it to stdin (kind first, compact, newline). */
export function encodeRequest(request: {
  apiVersion: ApiVersion;
  image: string;
  serviceAccountToken?: string;
  serviceAccountAnnotations?: Record<string, string>;
}): string {
  const ordered: Record<string, unknown> = {
    kind: 'CredentialProviderRequest',
    apiVersion: request.apiVersion,
    image: request.image,
  };
  if (request.serviceAccountToken) ordered.serviceAccountToken = request.serviceAccountToken;
  if (request.serviceAccountAnnotations && Object.keys(request.serviceAccountAnnotations).length > 0) {
    ordered.serviceAccountAnnotations = request.serviceAccountAnnotations;
  }
  return `${JSON.stringify(ordered)}\n`;
}
