import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.ts';
import { Redactor } from '../../core/redact.ts';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YTpiIn0.c2lnbmF0dXJlLWJ5dGVz';

describe('Redactor hides secrets by value and by shape', () => {
  it.each([
    {
      name: 'registered value inside an SDK message',
      secret: 'hunter2-password',
      text: 'login failed for password hunter2-password at x',
    },
    { name: 'a JWT anywhere', secret: JWT, text: `assertion ${JWT} rejected` },
    { name: 'a JWT signature alone is not left behind', secret: 'c2lnbmF0dXJlLWJ5dGVz', text: `token=${JWT}` },
    {
      name: 'Authorization header',
      secret: 'AKIDSECRET/2026',
      text: 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDSECRET/2026, Signature=abcdef',
    },
    { name: 'bearer in JSON', secret: 'opaque-bearer-value', text: '{"authorization":"Bearer opaque-bearer-value"}' },
    { name: 'query signature', secret: 'deadbeefcafe', text: 'GET /?X-Amz-Signature=deadbeefcafe&x=1' },
    {
      name: 'form client_assertion',
      secret: 'assertion-value-123',
      text: 'client_assertion=assertion-value-123&scope=x',
    },
    {
      name: 'STS XML credentials',
      secret: 'wJalrXUtnFEMI',
      text: '<SecretAccessKey>wJalrXUtnFEMI</SecretAccessKey><SessionToken>FQoGZXIvYXdzE</SessionToken>',
    },
    { name: 'refresh_token field', secret: 'rt-value-xyz', text: '{"refresh_token":"rt-value-xyz"}' },
    { name: 'client secret field', secret: 'sp-secret-9', text: '{"aadClientSecret": "sp-secret-9"}' },
    { name: 'URL userinfo', secret: 'pr0xy-pass', text: 'proxy http://alice:pr0xy-pass@proxy.corp:3128 refused' },
  ])('$name', ({ secret, text }) => {
    const redactor = new Redactor();
    redactor.add('hunter2-password');
    const out = redactor.redact(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('[REDACTED]');
  });

  it('leaves ordinary text alone', () => {
    const text = 'GetAuthorizationToken for 123456789012.dkr.ecr.us-west-2.amazonaws.com took 120ms';
    expect(new Redactor().redact(text)).toBe(text);
  });
});

describe('logger', () => {
  const capture = (verbosity: number, format: 'text' | 'json' = 'text') => {
    const lines: string[] = [];
    const log = createLogger({
      verbosity,
      format,
      name: 'credkit-test',
      write: (line) => lines.push(line),
      now: () => new Date(Date.UTC(2026, 10, 26, 16, 30, 1, 5)),
    });
    return { log, lines };
  };

  it.each([
    { name: 'v(2) hidden at --v=0', verbosity: 0, lines: 0 },
    { name: 'v(2) shown at --v=2', verbosity: 2, lines: 1 },
    { name: 'v(2) shown at --v=5', verbosity: 5, lines: 1 },
  ])('$name', ({ verbosity, lines: count }) => {
    const { log, lines } = capture(verbosity);
    log.v(2).info('detail');
    expect(lines).toHaveLength(count);
  });

  it('writes klog text lines', () => {
    const { log, lines } = capture(0);
    log.error('denied', { role: 'arn:aws:iam::1:role/x' });
    expect(lines[0]).toMatch(/^E1126 16:30:01\.005000 \d+ credkit-test\] denied role="arn:aws:iam::1:role\/x"\n$/);
  });

  it('writes klog JSON lines', () => {
    const { log, lines } = capture(0, 'json');
    log.warn('careful', { image: 'a.io/b' });
    expect(JSON.parse(lines[0] as string)).toMatchObject({ msg: 'careful', v: 0, level: 'warning', image: 'a.io/b' });
  });

  it('redacts fields and messages', () => {
    const { log, lines } = capture(9);
    log.redactor.add('the-pod-token-value');
    log.v(9).info('calling with the-pod-token-value', { header: `Bearer ${JWT}` });
    expect(lines.join('')).not.toMatch(/the-pod-token-value|c2lnbmF0dXJlLWJ5dGVz/);
  });
});

describe('every line keeps the budget: one line, at most 1 KiB, escaped', () => {
  const BIG = 'a'.repeat(900_000);
  const secret = `s3cret-${'q'.repeat(2000)}`;
  const cases = [
    { name: 'huge message', message: `annotation value ${BIG} is not a role`, fields: {} },
    { name: 'huge field', message: 'bad annotation', fields: { value: BIG } },
    { name: 'huge field key', message: 'bad annotation', fields: { [BIG]: 'x' } },
    {
      name: 'many fields',
      message: 'detail',
      fields: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, `value-${i}`])),
    },
    { name: 'object field', message: 'detail', fields: { claims: { sub: BIG, aud: [1, 2] } } },
    { name: 'terminal escapes', message: 'sub \u001b]0;owned\u0007\u001b[2J', fields: { sub: '\u001b[31mred\u009b' } },
    { name: 'line separators', message: 'a\nb\r\nc\u2028d\u2029e\u007f', fields: { v: 'x\ny' } },
    { name: 'registered secret in a long message', message: `${'m'.repeat(900)} ${secret} tail`, fields: {} },
  ];

  for (const format of ['text', 'json'] as const) {
    it.each(cases)(`${format}: $name`, ({ message, fields }) => {
      const lines: string[] = [];
      const log = createLogger({ verbosity: 10, format, write: (line) => lines.push(line) });
      log.redactor.add(secret);
      log.error(message, fields);
      log.v(10).info(message, fields);
      expect(lines).toHaveLength(2);
      for (const line of lines) {
        expect(line.endsWith('\n')).toBe(true);
        const body = line.slice(0, -1);
        expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024);
        expect(body).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
        expect(body).not.toContain(secret.slice(0, 12));
        if (format === 'json') expect(() => JSON.parse(body)).not.toThrow();
      }
    });
  }

  it('shows how long a cut value was', () => {
    const lines: string[] = [];
    createLogger({ write: (line) => lines.push(line) }).error('bad', { value: 'a'.repeat(900_179) });
    expect(lines[0]).toMatch(/ value="a+…" \(900179 bytes\)\n$/);
  });

  it('keeps JSON field types when they fit', () => {
    const lines: string[] = [];
    createLogger({ format: 'json', write: (line) => lines.push(line) }).warn('w', { n: 3, ok: true, o: { a: 1 } });
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'w', n: 3, ok: true, o: { a: 1 }, level: 'warning' });
  });
});

describe('hold: a failing exec prints exactly one line at the default verbosity', () => {
  it.each([
    { name: 'warning then error: the error alone', verbosity: 0, steps: ['warn', 'error'], lines: [/^E.* failed/] },
    { name: 'warning then success: the warning', verbosity: 0, steps: ['warn', 'flush'], lines: [/^W.* careful/] },
    {
      name: 'verbose: every line as it comes',
      verbosity: 1,
      steps: ['warn', 'error'],
      lines: [/^W.* careful/, /^E.* failed/],
    },
  ])('$name', ({ verbosity, steps, lines: expected }) => {
    const lines: string[] = [];
    const log = createLogger({ verbosity, hold: true, write: (line) => lines.push(line) });
    for (const step of steps) {
      if (step === 'warn') log.warn('careful');
      if (step === 'error') log.error('failed');
      if (step === 'flush') log.flush();
    }
    expect(lines).toHaveLength(expected.length);
    for (const [i, pattern] of expected.entries()) expect(lines[i]).toMatch(pattern);
  });
});
