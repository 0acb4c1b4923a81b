/**
 * Which identity answers: upstream's workload identity trigger matrix (research/gcp-gar.md §2.1)
 * and TestProvide_WorkloadIdentity rows (§3.3) as a pure decision table, the impersonation leg,
 * the service account email check, and which hosts are Google's (§1.4).
 */
import { describe, expect, it } from 'vitest';
import { type IdentityConfig, readConfig } from '../../../adapters/gar/config.ts';
import { checkServiceAccountEmail } from '../../../adapters/gar/federation.ts';
import { type PlanInput, planIdentity } from '../../../adapters/gar/identity.ts';
import { isGoogleRegistry } from '../../../adapters/gar/registry.ts';
import { CredkitError, parseImage } from '../../../core/index.ts';
import { CP, ENABLE, PULLER_GSA, WIF_STS_AUDIENCE } from './world.ts';

const gke = readConfig({ 'identity-provider': CP, 'project-id': 'my-project' }) as IdentityConfig;
const federation = readConfig({ 'sts-audience': WIF_STS_AUDIENCE }) as IdentityConfig;
const node = readConfig({}) as IdentityConfig;
const subject = 'system:serviceaccount:team:puller';
const withToken = (annotations: Record<string, string> = {}): PlanInput => ({
  serviceAccount: { identity: { subject }, annotations },
  requestAnnotations: annotations,
});

describe('the workload identity decision table', () => {
  const cases: Array<{
    name: string;
    config: IdentityConfig;
    input: PlanInput;
    expected: 'node' | 'workload' | 'error';
    impersonate?: string;
  }> = [
    {
      name: 'no identity provider, token, no annotation (unannotated SA)',
      config: node,
      input: withToken(),
      expected: 'node',
    },
    {
      name: 'no identity provider, annotated (feature disabled)',
      config: node,
      input: withToken(ENABLE),
      expected: 'node',
    },
    { name: 'identity provider, annotation absent', config: gke, input: withToken(), expected: 'node' },
    {
      name: 'identity provider, annotation not exactly "true"',
      config: gke,
      input: withToken({ 'iam.gke.io/enable-wi-image-pull': 'True' }),
      expected: 'node',
    },
    {
      name: 'identity provider, annotated, token (direct access)',
      config: gke,
      input: withToken(ENABLE),
      expected: 'workload',
    },
    {
      name: 'identity provider, annotated, no token (fails, no fallback)',
      config: gke,
      input: { requestAnnotations: ENABLE },
      expected: 'error',
    },
    { name: 'identity provider, no token, no annotations (static pod)', config: gke, input: {}, expected: 'node' },
    {
      name: 'identity provider, annotated with a Google service account',
      config: gke,
      input: withToken({ ...ENABLE, 'iam.gke.io/gcp-service-account': PULLER_GSA }),
      expected: 'workload',
      impersonate: PULLER_GSA,
    },
    {
      name: 'GKE: a Google service account without the opt-in is not used',
      config: gke,
      input: withToken({ 'iam.gke.io/gcp-service-account': PULLER_GSA }),
      expected: 'node',
    },
    { name: 'federation, token, no annotation', config: federation, input: withToken(), expected: 'workload' },
    {
      name: 'federation, token, Google service account',
      config: federation,
      input: withToken({ 'iam.gke.io/gcp-service-account': PULLER_GSA }),
      expected: 'workload',
      impersonate: PULLER_GSA,
    },
    { name: 'federation, no token (pod without a service account)', config: federation, input: {}, expected: 'node' },
  ];

  it.each(cases)('$name', ({ config, input, expected, impersonate }) => {
    if (expected === 'error') {
      expect(() => planIdentity(config, input)).toThrow(
        /sets iam.gke.io\/enable-wi-image-pull but the kubelet sent no token/,
      );
      return;
    }
    const plan = planIdentity(config, input);
    expect(plan.kind).toBe(expected);
    if (plan.kind === 'workload') {
      expect(plan.subject).toBe(subject);
      expect(plan.impersonate).toBe(impersonate);
      expect(plan.federation).toBe(config.mode === 'node' ? undefined : config.federation);
    }
  });

  it('an annotation wins over the credential config impersonation; the config is the default', () => {
    const config = readConfig({ 'sts-audience': WIF_STS_AUDIENCE });
    if (config.mode === 'node' || config.mode === 'dockercfg') throw new Error('unreachable');
    const withDefault = {
      ...config,
      federation: { ...config.federation, impersonate: 'default@p-123456.iam.gserviceaccount.com' },
    };
    const annotated = planIdentity(withDefault, withToken({ 'iam.gke.io/gcp-service-account': PULLER_GSA }));
    const plain = planIdentity(withDefault, withToken());
    expect(annotated.kind === 'workload' && annotated.impersonate).toBe(PULLER_GSA);
    expect(plain.kind === 'workload' && plain.impersonate).toBe('default@p-123456.iam.gserviceaccount.com');
  });
});

describe('Google service account emails (they go into the IAM Credentials URL path)', () => {
  it.each([
    { name: 'user-managed', email: 'puller@my-project.iam.gserviceaccount.com' },
    { name: 'compute default', email: '123456789-compute@developer.gserviceaccount.com' },
    { name: 'app engine default', email: 'my-project@appspot.gserviceaccount.com' },
    { name: 'domain-scoped project', email: 'sa@my-project.example.com.iam.gserviceaccount.com' },
  ])('accepts $name', ({ email }) => {
    expect(checkServiceAccountEmail(email, 'test')).toBe(email);
  });

  it.each([
    { name: 'a user account', email: 'someone@gmail.com' },
    { name: 'a path escape', email: '../../../v1/projects/-/serviceAccounts/x@p.iam.gserviceaccount.com' },
    { name: 'another host', email: 'x@evil.com/.iam.gserviceaccount.com' },
    { name: 'a query', email: 'x@p.iam.gserviceaccount.com?alt=json' },
    { name: 'a colon (another method)', email: 'x@p.iam.gserviceaccount.com:signBlob' },
    { name: 'percent-encoding', email: 'x%2F@p.iam.gserviceaccount.com' },
    { name: 'upper case', email: 'Puller@my-project.iam.gserviceaccount.com' },
    { name: 'empty', email: '' },
    { name: 'a look-alike domain', email: 'x@p.iam.gserviceaccount.com.evil.com' },
    { name: 'double dots', email: 'x@p..iam.gserviceaccount.com' },
  ])('refuses $name', ({ email }) => {
    const error = (() => {
      try {
        checkServiceAccountEmail(email, 'annotation iam.gke.io/gcp-service-account', 'request');
      } catch (thrown) {
        return thrown as CredkitError;
      }
    })();
    expect(error).toBeInstanceOf(CredkitError);
    expect(error?.kind).toBe('request');
    expect(error?.message).toContain('is not a Google service account email');
  });
});

describe('Google registries (matchImages under the kubelet URLsMatch rules)', () => {
  it.each([
    { image: 'gcr.io/project/app', ours: true },
    { image: 'eu.gcr.io/project/app', ours: true },
    { image: 'k8s.gcr.io/pause', ours: true },
    { image: 'us-west2-docker.pkg.dev/project/repo/app', ours: true },
    { image: 'docker.pkg.dev/project/repo/app', ours: true },
    { image: 'container.cloud.google.com/x/y', ours: true },
    { image: 'a.b.pkg.dev/project/repo/app', ours: false },
    { image: 'gcr.io:443/project/app', ours: false },
    { image: 'registry.k8s.io/pause', ours: false },
    { image: 'localhost:5000/foo/bar', ours: false },
    { image: 'evilgcr.io/project/app', ours: false },
    { image: 'us-docker.pkg.dev.evil.com/x/y', ours: false },
    { image: 'busybox', ours: false },
    { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app', ours: false },
  ])('$image -> $ours', ({ image, ours }) => {
    expect(isGoogleRegistry(parseImage(image))).toBe(ours);
  });
});
