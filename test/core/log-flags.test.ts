/**
 * The logging flags, honoured: one exec in this process per row, the provider logging one line
 * of each severity, stderr inspected.
 */
import { describe, expect, it } from 'vitest';
import { CredkitError } from '../../core/errors.ts';
import type { LogFlagFamily } from '../../core/log-flags.ts';
import { encodeRequest } from '../../core/protocol.ts';
import { defineProvider } from '../../core/provider.ts';
import { runInProcess } from '../support/in-process.ts';

function providerOf(logFlags: LogFlagFamily, fail = false) {
  return defineProvider({
    name: 'logs',
    logFlags,
    matchImages: ['*.example.com'],
    async getCredentials(ctx) {
      ctx.log.v(2).info('detail line');
      ctx.log.warn('warning line');
      if (fail) throw new CredkitError('denied', 'the cloud said no');
      return { username: 'u', password: 'p' };
    },
  });
}

async function exec(logFlags: LogFlagFamily, argv: string[], fail = false) {
  const request = encodeRequest({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image: 'r.example.com/app' });
  const { code, stdout, stderr } = await runInProcess(providerOf(logFlags, fail), { argv, env: {}, request });
  return { code, stdout, lines: stderr.split('\n').filter(Boolean) };
}

const HEADER = /^[IWE]\d{4} \d\d:\d\d:\d\d\.\d{6} \d+ logs\] /;

describe('logging flags credkit honours', () => {
  it.each([
    { name: 'default: warnings only', family: 'klog', argv: [], lines: [/^W.* warning line$/] },
    {
      name: '--v=2: the detail line too',
      family: 'klog',
      argv: ['--v=2'],
      lines: [/^I.* detail line$/, /^W.* warning line$/, /^I.* credential issued/],
    },
    {
      name: '--skip_headers: no klog header',
      family: 'klog',
      argv: ['-v=2', '--skip_headers'],
      lines: [/^detail line$/, /^warning line$/, /^credential issued/],
    },
    {
      name: '--stderrthreshold=WARNING: no info lines',
      family: 'klog',
      argv: ['--v=2', '--stderrthreshold=WARNING'],
      lines: [/^W.* warning line$/],
    },
    {
      name: '--stderrthreshold=ERROR: no warnings either',
      family: 'klog',
      argv: ['--v=2', '--stderrthreshold=ERROR'],
      lines: [],
    },
    {
      name: 'legacy_stderr_threshold_behavior=true: the threshold is ignored',
      family: 'klog',
      argv: ['--v=2', '--stderrthreshold=ERROR', '--legacy_stderr_threshold_behavior=true'],
      lines: [/^I.* detail line$/, /^W.* warning line$/, /^I.* credential issued/],
    },
    {
      name: 'an ignored flag says so at --v=1',
      family: 'klog',
      argv: ['--v=1', '--log_dir=/var/log/x'],
      lines: [/^I.* --log_dir is accepted and ignored: credkit writes no log files/, /^W.* warning line$/],
    },
    { name: 'and is silent at --v=0', family: 'klog', argv: ['--log_dir=/var/log/x'], lines: [/^W.* warning line$/] },
    {
      name: 'component-base -v 2 --vmodule',
      family: 'component-base',
      argv: ['-v', '2', '--vmodule=x=4'],
      lines: [
        /--vmodule is accepted and ignored: credkit has no per-file verbosity/,
        /detail line$/,
        /warning line$/,
        /credential issued/,
      ],
    },
  ] as const)('$name', async ({ family, argv, lines }) => {
    const result = await exec(family, [...argv]);
    expect(result.code).toBe(0);
    expect(result.lines).toHaveLength(lines.length);
    lines.forEach((line, i) => {
      expect(result.lines[i]).toMatch(line);
    });
    if (!(argv as readonly string[]).includes('--skip_headers'))
      for (const line of result.lines) expect(line).toMatch(HEADER);
  });

  it.each([
    { name: 'the error line at the default threshold', argv: [], errors: 1 },
    { name: 'no line at all with --stderrthreshold=FATAL, as klog', argv: ['--stderrthreshold=FATAL'], errors: 0 },
  ])('a failure: $name', async ({ argv, errors }) => {
    const result = await exec('klog', argv, true);
    expect(result.code).toBe(5);
    expect(result.stdout).toBe('');
    expect(result.lines.filter((line) => line.startsWith('E'))).toHaveLength(errors);
  });

  it('prints the version for cobra -v, and does not log', async () => {
    const result = await exec('cobra', ['-v']);
    expect(result).toMatchObject({ code: 0, stdout: 'logs 0.0.0\n', lines: [] });
  });

  it('a bad logging flag value is a usage error before anything runs', async () => {
    const result = await exec('klog', ['--vmodule=nolevel']);
    expect(result.code).toBe(2);
    expect(result.lines).toEqual([expect.stringMatching(/--vmodule must be comma-separated pattern=N settings/)]);
  });
});
