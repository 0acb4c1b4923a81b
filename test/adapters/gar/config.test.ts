/**
 * The command line: upstream's TestValidateAuthFlow and derived flag cases (research/gcp-gar.md
 * §3.1, §3.7 D7/D12/D13) plus the self-managed federation inputs. One row per case.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type GarConfig, readConfig, tokenAudienceOf } from '../../../adapters/gar/config.ts';
import { credkitErrorOf } from '../../support/credkit-error.ts';
import { CP, WIF_STS_AUDIENCE, WIF_TOKEN_AUDIENCE } from './world.ts';

type Flags = Parameters<typeof readConfig>[0];

describe('upstream TestValidateAuthFlow, ported', () => {
  const flows = ['gcr', 'dockercfg', 'dockercfg-url'];
  const cases = [
    ...flows.map((flow) => ({ name: `${flow} alone`, flags: { authFlow: flow }, error: undefined, notes: [] })),
    ...['bad-flow', '', 'Gcrauthflow', 'Gcr'].map((flow) => ({
      name: `bad flow ${JSON.stringify(flow)} (case-sensitive)`,
      flags: { authFlow: flow },
      error: `invalid value ${JSON.stringify(flow)} for authFlow (must be one of "gcr", "dockercfg", or "dockercfg-url")`,
      notes: [],
    })),
    // Upstream: ok, with a warning for the dockercfg flows (the flag only has effect with gcr).
    ...flows.map((flow) => ({
      name: `${flow} with identity provider and project`,
      flags: { authFlow: flow, 'identity-provider': CP, 'project-id': 'my-project' },
      error: undefined,
      notes: flow === 'gcr' ? [] : [`--identity-provider was set but --authFlow is "${flow}"`],
    })),
    // Upstream: ErrProjectIDRequired whatever the flow.
    ...flows.map((flow) => ({
      name: `${flow}: identity provider without project (ErrProjectIDRequired)`,
      flags: { authFlow: flow, 'identity-provider': CP },
      error: '--project-id is required when --identity-provider is set',
      notes: [],
    })),
    // PR #1248's fork warns for --sts-audience with another flow; credkit's --credential-config alike.
    ...['sts-audience', 'credential-config'].map((flag) => ({
      name: `dockercfg with --${flag} (warned, unused)`,
      flags: { authFlow: 'dockercfg', [flag]: flag === 'sts-audience' ? WIF_STS_AUDIENCE : '/no/such/file.json' },
      error: undefined,
      notes: [`--${flag} was set but --authFlow is "dockercfg": it only has effect when --authFlow=gcr`],
    })),
  ];
  it.each(cases)('$name', ({ flags, error, notes }) => {
    let config: GarConfig | undefined;
    const thrown = credkitErrorOf(() => {
      config = readConfig(flags as Flags, ['get-credentials']);
    });
    if (error === undefined) expect(thrown).toBeUndefined();
    else {
      expect(thrown?.kind).toBe('usage');
      expect(thrown?.message).toContain(error);
      return;
    }
    const said = config && 'notes' in config ? config.notes : [];
    expect(said).toHaveLength(notes.length);
    for (const [i, note] of notes.entries()) expect(said[i]).toContain(note);
    expect(config?.mode === 'dockercfg').toBe(flags.authFlow !== 'gcr');
  });
});

describe('flags and positionals', () => {
  const cases: Array<{ name: string; flags: Flags; positionals?: string[]; error: string }> = [
    { name: 'unknown subcommand', flags: {}, positionals: ['get-creds'], error: 'unknown command "get-creds"' },
    {
      name: 'a second positional',
      flags: {},
      positionals: ['get-credentials', 'extra'],
      error: 'unknown command "extra"',
    },
    {
      name: 'identity provider and sts audience together',
      flags: { 'identity-provider': CP, 'project-id': 'my-project', 'sts-audience': WIF_STS_AUDIENCE },
      error: '--identity-provider and --sts-audience are exclusive',
    },
    {
      name: 'sts audience and credential config together',
      flags: { 'sts-audience': WIF_STS_AUDIENCE, 'credential-config': '/x.json' },
      error: '--sts-audience and --credential-config are exclusive',
    },
    {
      name: 'sts audience in the token (https) form',
      flags: { 'sts-audience': WIF_TOKEN_AUDIENCE },
      error: `give STS the scheme-relative ${WIF_STS_AUDIENCE}`,
    },
    {
      name: 'sts audience that is no provider',
      flags: { 'sts-audience': 'my-audience' },
      error: 'is not a workload identity provider',
    },
    {
      name: 'sts audience of a pool, not a provider',
      flags: { 'sts-audience': '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/k8s' },
      error: 'is not a workload identity provider',
    },
  ];
  it.each(cases)('refuses $name', ({ flags, positionals, error }) => {
    const thrown = credkitErrorOf(() => readConfig(flags, positionals ?? []));
    expect(thrown?.kind).toBe('usage');
    expect(thrown?.message).toContain(error);
  });

  // Upstream takes any --identity-provider and any non-empty --project-id: warned about, not refused.
  it.each([
    {
      name: 'project id with a slash',
      flags: { 'identity-provider': CP, 'project-id': 'my/project' },
      note: /"my\/project" does not look like a project id/,
    },
    {
      name: 'identity provider not https',
      flags: { 'identity-provider': 'http://x', 'project-id': 'my-project' },
      note: /"http:\/\/x" is not an https URL/,
    },
  ])('accepts $name with a warning', ({ flags, note }) => {
    const config = readConfig(flags, []);
    expect(config.mode).toBe('gke');
    expect(config.mode === 'gke' ? config.notes : []).toEqual([expect.stringMatching(note)]);
  });

  it("has no warning for GKE's own flags", () => {
    const config = readConfig({ 'identity-provider': CP, 'project-id': 'my-project' }, []);
    expect(config.mode === 'gke' ? config.notes : undefined).toEqual([]);
  });

  it.each([
    { name: 'no subcommand', positionals: [] },
    { name: 'get-credentials', positionals: ['get-credentials'] },
  ])('accepts $name', ({ positionals }) => {
    expect(readConfig({}, positionals)).toEqual({ mode: 'node' });
  });
});

describe('modes and the audience the pod token must carry', () => {
  const cases: Array<{ name: string; flags: Flags; mode: GarConfig['mode']; sts?: string; token?: string }> = [
    { name: 'no workload identity flags', flags: {}, mode: 'node' },
    { name: 'project id alone (ignored, as upstream)', flags: { 'project-id': 'my-project' }, mode: 'node' },
    {
      name: 'GKE identity provider',
      flags: { 'identity-provider': CP, 'project-id': 'my-project' },
      mode: 'gke',
      sts: `identitynamespace:my-project.svc.id.goog:${CP}`,
      token: 'my-project.svc.id.goog',
    },
    {
      name: 'custom identity provider',
      flags: { 'identity-provider': 'https://custom-provider.com', 'project-id': 'my-project' },
      mode: 'gke',
      sts: 'identitynamespace:my-project.svc.id.goog:https://custom-provider.com',
      token: 'my-project.svc.id.goog',
    },
    {
      name: 'domain-scoped project',
      flags: { 'identity-provider': CP, 'project-id': 'example.com:my-project' },
      mode: 'gke',
      sts: `identitynamespace:example.com:my-project.svc.id.goog:${CP}`,
      token: 'example.com:my-project.svc.id.goog',
    },
    {
      name: 'pool provider audience',
      flags: { 'sts-audience': WIF_STS_AUDIENCE },
      mode: 'federation',
      sts: WIF_STS_AUDIENCE,
      token: WIF_TOKEN_AUDIENCE,
    },
    {
      name: 'identitynamespace audience given directly',
      flags: { 'sts-audience': `identitynamespace:p-123456.svc.id.goog:${CP}` },
      mode: 'federation',
      sts: `identitynamespace:p-123456.svc.id.goog:${CP}`,
      token: 'p-123456.svc.id.goog',
    },
  ];
  it.each(cases)('$name', ({ flags, mode, sts, token }) => {
    const config = readConfig(flags);
    expect(config.mode).toBe(mode);
    expect(tokenAudienceOf(config)).toBe(token);
    if (config.mode !== 'node' && config.mode !== 'dockercfg') {
      expect(config.federation).toMatchObject({
        stsAudience: sts,
        tokenUrl: 'https://sts.googleapis.com/v1/token',
        iamCredentialsUrl: 'https://iamcredentials.googleapis.com',
        lifetimeSeconds: 3600,
      });
    }
  });
});

describe('--credential-config: the external_account file gcloud generates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'credkit-gar-'));
  let n = 0;
  const write = (content: unknown) => {
    const path = join(dir, `config-${n++}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const generated = {
    type: 'external_account',
    audience: WIF_STS_AUDIENCE,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: 'https://sts.googleapis.com/v1/token',
    credential_source: { file: '/var/run/service-account/token', format: { type: 'text' } },
  };
  const impersonation =
    'https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/puller@my-project.iam.gserviceaccount.com:generateAccessToken';

  it('reads the audience, token URL and impersonation; the credential_source is replaced by the pod token', () => {
    const path = write({
      ...generated,
      service_account_impersonation_url: impersonation,
      service_account_impersonation: { token_lifetime_seconds: 1800 },
    });
    const config = readConfig({ 'credential-config': path });
    expect(config).toEqual({
      mode: 'federation',
      federation: {
        stsAudience: WIF_STS_AUDIENCE,
        tokenAudience: WIF_TOKEN_AUDIENCE,
        tokenUrl: 'https://sts.googleapis.com/v1/token',
        subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
        iamCredentialsUrl: 'https://iamcredentials.googleapis.com',
        impersonate: 'puller@my-project.iam.gserviceaccount.com',
        lifetimeSeconds: 1800,
      },
    });
  });

  it('follows universe_domain for every endpoint', () => {
    const path = write({
      type: 'external_account',
      audience: WIF_STS_AUDIENCE.replace('googleapis.com', 'example-universe.net'),
      universe_domain: 'example-universe.net',
    });
    const config = readConfig({ 'credential-config': path });
    expect(config.mode === 'federation' && config.federation).toMatchObject({
      tokenUrl: 'https://sts.example-universe.net/v1/token',
      iamCredentialsUrl: 'https://iamcredentials.example-universe.net',
    });
  });

  const bad: Array<{ name: string; content: unknown; error: string }> = [
    {
      name: 'a service account key',
      content: { type: 'service_account', audience: 'x' },
      error: 'type must be external_account',
    },
    {
      name: 'a workforce pool',
      content: { ...generated, workforce_pool_user_project: 'p' },
      error: 'workforce pools federate people',
    },
    {
      name: 'an aws subject token type',
      content: { ...generated, subject_token_type: 'urn:ietf:params:aws:token-type:aws4_request' },
      error: 'a service account token is a JWT',
    },
    {
      name: 'a token_url off Google',
      content: { ...generated, token_url: 'https://sts.example.com/v1/token' },
      error: 'token_url https://sts.example.com/v1/token is not an https endpoint on googleapis.com',
    },
    {
      name: 'a plain http token_url',
      content: { ...generated, token_url: 'http://sts.googleapis.com/v1/token' },
      error: 'is not an https endpoint',
    },
    {
      name: 'impersonation on another Google host',
      content: { ...generated, service_account_impersonation_url: impersonation.replace('iamcredentials', 'evil') },
      error: 'service_account_impersonation_url must be',
    },
    {
      name: 'impersonation of something that is not a service account',
      content: {
        ...generated,
        service_account_impersonation_url: impersonation.replace(
          'puller@my-project.iam.gserviceaccount.com',
          'me@gmail.com',
        ),
      },
      error: 'is not a Google service account email',
    },
    {
      name: 'a lifetime over 12h',
      content: { ...generated, service_account_impersonation: { token_lifetime_seconds: 86_400 } },
      error: 'service_account_impersonation.token_lifetime_seconds',
    },
    { name: 'not JSON', content: '{"type":', error: 'is not JSON' },
  ];
  it.each(bad)('refuses $name', ({ content, error }) => {
    const thrown = credkitErrorOf(() => readConfig({ 'credential-config': write(content) }));
    expect(thrown?.kind).toBe('usage');
    expect(thrown?.message).toContain(error);
  });

  it('names a missing file and how to fix it', () => {
    const thrown = credkitErrorOf(() => readConfig({ 'credential-config': join(dir, 'absent.json') }));
    expect(thrown?.message).toMatch(/cannot read --credential-config .*absent\.json \(ENOENT\): fix the path/);
  });
});
