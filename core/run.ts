/**
 * One exec, top to bottom: parse the command line -> read the request -> check the token ->
 * ask the provider -> cache hints -> write exactly one response. Every failure becomes one redacted
 * line on stderr, nothing on stdout, and a non-zero exit code (so the kubelet does not cache it).
 */

import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { helpText, type ParsedArgs, parseProviderArgs } from './args.ts';
import { cacheSeconds } from './cache.ts';
import { formatSeconds } from './duration.ts';
import { CredkitError, oneLine, toCredkitError } from './errors.ts';
import { createHttp, type Http } from './http.ts';
import { type ImageRef, normaliseAuthKey, parseImage, urlsMatch } from './image.ts';
import { createLogger, type Logger } from './log.ts';
import {
  type CredentialProviderRequest,
  type CredentialProviderResponse,
  credentialProviderRequestSchema,
  encodeResponse,
} from './protocol.ts';
import type { AnnotationKeys, Context, Credential, Env, FlagSpecs, Provider, RequestScope } from './provider.ts';
import { annotationKeysOf, matchImagesOf, tokenAttributesOf } from './provider.ts';
import { Redactor } from './redact.ts';
import { createDeadline } from './retry.ts';
import { readStdin, writeOut } from './stdio.ts';
import { checkServiceAccountToken, decodeServiceAccountToken } from './token.ts';

/** Requests are a few KiB (a token and a few annotations); anything far larger is not the kubelet. */
export const MAX_REQUEST_BYTES = 1 << 20;

export interface ProviderIO {
  argv: string[];
  env: Env;
  stdin: AsyncIterable<Uint8Array | string>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  now?: () => number;
}

/** Runs one exec of a provider and returns the process exit code. Never throws. */
export async function runProvider<F extends FlagSpecs>(provider: Provider<F>, io: ProviderIO): Promise<number> {
  // zod/mini ships no messages by default; errors should read like classic zod's.
  z.config(en());
  const now = io.now ?? Date.now;
  const redactor = new Redactor();
  // hold: a failure at the default verbosity is exactly one line (warnings before it are dropped).
  let log: Logger = createLogger({
    name: provider.name,
    write: io.stderr,
    redactor,
    now: () => new Date(now()),
    hold: true,
  });
  try {
    const args = parseProviderArgs(provider, io.argv);
    log = createLogger({
      name: provider.name,
      verbosity: args.common.log.verbosity,
      format: args.common.logFormat,
      headers: args.common.log.headers,
      stderrThreshold: args.common.log.stderrThreshold,
      write: io.stderr,
      redactor,
      now: () => new Date(now()),
      hold: true,
    });
    for (const note of args.common.log.notes) log.v(1).info(note);
    if (args.common.help) return (io.stdout(helpText(provider)), 0);
    if (args.common.version) return (io.stdout(`${provider.name} ${provider.version ?? '0.0.0'}\n`), 0);

    const request = parseRequest(await readAll(io.stdin, MAX_REQUEST_BYTES));
    redactor.add(request.serviceAccountToken);
    const response = await answer(provider, request, args, { env: io.env, log, now });
    io.stdout(encodeResponse(response));
    log.flush();
    return 0;
  } catch (thrown) {
    const error = toCredkitError(thrown);
    log.error(oneLine(redactor.redact(error.message)));
    if (log.verbosity >= 4 && error.cause instanceof Error) {
      log.v(4).info('cause', { cause: oneLine(redactor.redact(error.cause.message)) });
    }
    return error.exitCode;
  }
}

interface RunEnv {
  env: Env;
  log: Logger;
  now: () => number;
}

async function answer<F extends FlagSpecs>(
  provider: Provider<F>,
  request: CredentialProviderRequest,
  args: ParsedArgs<F>,
  run: RunEnv,
): Promise<CredentialProviderResponse> {
  const image = parseRequestImage(request.image);
  const base = { kind: 'CredentialProviderResponse', apiVersion: request.apiVersion } as const;
  const cacheKeyType = provider.cacheKeyType ?? 'Registry';
  const scope = { flags: args.flags, positionals: args.positionals, env: run.env, log: run.log };
  if (!servesImage(provider, image, scope)) {
    run.log.v(2).info('image is not served by this provider', { image: request.image });
    return { ...base, cacheKeyType, cacheDuration: '0s' };
  }

  const attributes = tokenAttributesOf(provider, scope);
  const audience = args.common.tokenAudience ?? attributes?.audience;
  const serviceAccount = tokenToExchange(provider, { request, image, ...scope }, audience, run);

  // The deadline's message names the call in flight when it passes; the Http knows which.
  let http: Http | undefined;
  const deadline = createDeadline(args.common.timeoutMs, run.now, () => http?.waitingFor());
  http = createHttp({ env: run.env, signal: deadline.signal });
  try {
    const ctx: Context<F> = {
      request,
      image,
      ...(serviceAccount ? { serviceAccount } : {}),
      flags: args.flags,
      positionals: args.positionals,
      env: run.env,
      log: run.log,
      signal: deadline.signal,
      deadline: deadline.at,
      http,
      now: run.now,
    };
    const credential = await raceDeadline(provider.getCredentials(ctx), deadline.signal);
    if (!credential) return { ...base, cacheKeyType, cacheDuration: '0s' };
    const entries = [{ ...credential, keys: credential.keys ?? [image.registry] }, ...(credential.others ?? [])];
    for (const entry of entries) run.log.redactor.add(entry.password);
    const answerKeyType = credential.cacheKeyType ?? cacheKeyType;
    checkCredential(provider, credential, entries, image, request, answerKeyType);
    const seconds = cacheSeconds({
      now: run.now(),
      expiresAt: credential.expiresAt,
      unknownExpirySeconds: credential.unknownExpirySeconds,
      tokenExpiresAt: serviceAccount?.claims.exp,
      cacheType: attributes?.cacheType,
      safetyMarginSeconds: provider.safetyMarginSeconds,
      atMostSeconds: credential.cacheSecondsAtMost,
    });
    run.log.v(2).info('credential issued', { image: request.image, cacheDuration: formatSeconds(seconds) });
    // The first entry to claim a key keeps it, as the kubelet keeps the first provider's.
    // A Map: keys come from the provider's sources (a docker config) and may be `__proto__`.
    const auth = new Map<string, { username: string; password: string }>();
    for (const { keys, username, password } of entries) {
      for (const key of keys) if (!auth.has(key)) auth.set(key, { username, password });
    }
    return {
      ...base,
      cacheKeyType: answerKeyType,
      cacheDuration: formatSeconds(seconds),
      auth: Object.fromEntries(auth),
    };
  } finally {
    deadline.dispose();
  }
}

function parseRequest(text: string): CredentialProviderRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CredkitError(
      'request',
      'stdin is not a JSON CredentialProviderRequest: run me from the kubelet or `credkit invoke`',
    );
  }
  const parsed = credentialProviderRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'request';
    throw new CredkitError('request', `invalid CredentialProviderRequest: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Parsed and validated before anything else looks at it: a hostile image never reaches the network. */
function parseRequestImage(image: string): ImageRef {
  try {
    return parseImage(image);
  } catch (error) {
    throw toCredkitError(error, 'request');
  }
}

function servesImage<F extends FlagSpecs>(
  provider: Provider<F>,
  image: ImageRef,
  scope: Parameters<NonNullable<Provider<F>['servesImage']>>[1],
): boolean {
  if (provider.servesImage) return provider.servesImage(image, scope);
  return matchImagesOf(provider, scope).some((glob) => urlsMatch(glob, image.name));
}

/**
 * The pod's token, checked before any network call, when this request is going to exchange it.
 * When the node's identity answers instead, the token is never used, so it is not judged either:
 * one audience for every pod must not break the pulls that never needed it.
 */
function tokenToExchange<F extends FlagSpecs>(
  provider: Provider<F>,
  scope: RequestScope<F>,
  audience: string | undefined,
  run: RunEnv,
): Context['serviceAccount'] {
  const exchanges = audience !== undefined && (provider.exchangesToken?.(scope) ?? true);
  if (exchanges) return checkToken(provider, scope, audience, run);
  if (scope.request.serviceAccountToken) {
    const why = audience ? 'the node identity answers this request' : 'this provider takes no token';
    run.log.v(2).info(`service account token not used: ${why}`, { image: scope.request.image });
  }
  return undefined;
}

function checkToken<F extends FlagSpecs>(
  provider: Provider<F>,
  scope: RequestScope<F>,
  audience: string,
  run: RunEnv,
): Context['serviceAccount'] {
  const request = scope.request;
  const token = request.serviceAccountToken;
  if (!token) {
    if (provider.requireServiceAccount) {
      throw new CredkitError(
        'token',
        `no service account token in the request: set tokenAttributes (audience ${audience}) in the kubelet config and use credentialprovider.kubelet.k8s.io/v1`,
      );
    }
    return undefined;
  }
  const claims = decodeServiceAccountToken(token);
  const identity = checkServiceAccountToken(claims, { audience, now: run.now() });
  const keys = annotationKeysOf(provider, scope);
  const annotations = pickAnnotations(keys, request.serviceAccountAnnotations ?? {}, identity.subject);
  run.log.v(2).info('service account token accepted', { subject: identity.subject, audience });
  return { token, claims, identity, annotations };
}

function pickAnnotations(keys: AnnotationKeys, sent: Record<string, string>, subject: string): Record<string, string> {
  const required = keys.required ?? [];
  const known = new Set([...required, ...(keys.optional ?? [])]);
  // Own keys only: `constructor` or `toString` must not be found on Object.prototype. `__proto__` is
  // ignored like any key the provider did not declare (the request schema already drops it).
  const missing = required.filter((key) => !Object.hasOwn(sent, key));
  if (missing.length > 0) {
    throw new CredkitError(
      'request',
      `service account ${subject} lacks annotation ${missing.join(', ')}: annotate it, or list the key in tokenAttributes.requiredServiceAccountAnnotationKeys`,
    );
  }
  return Object.fromEntries(Object.entries(sent).filter(([key]) => known.has(key)));
}

/** Refuses answers the kubelet would silently drop or misuse, before they are written. */
function checkCredential<F extends FlagSpecs>(
  provider: Provider<F>,
  credential: Credential,
  entries: Array<{ password: string; keys: string[] }>,
  image: ImageRef,
  request: CredentialProviderRequest,
  cacheKeyType: string,
): void {
  const echoesToken =
    request.serviceAccountToken !== undefined &&
    entries.some((entry) => entry.password === request.serviceAccountToken);
  if ((echoesToken || credential.passThrough) && provider.cacheType !== 'Token') {
    throw new CredkitError(
      'internal',
      `${provider.name} returned the service account token as the password, which the kubelet rejects unless cacheType is Token`,
    );
  }
  const keys = entries.flatMap((entry) => entry.keys).map(normaliseAuthKey);
  if (!keys.some((key) => urlsMatch(key, image.name))) {
    throw new CredkitError(
      'internal',
      `no auth key of ${provider.name} matches image ${image.name} under the kubelet's rules`,
    );
  }
  if (cacheKeyType === 'Registry' && !keys.some((key) => urlsMatch(key, `${image.registry}/any/other/repository`))) {
    throw new CredkitError(
      'internal',
      `no auth key covers every image on ${image.registry}, as a Registry cache entry must`,
    );
  }
}

async function readAll(stream: AsyncIterable<Uint8Array | string>, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += buffer.length;
    if (size > maxBytes) {
      throw new CredkitError('request', `stdin is larger than ${maxBytes} bytes: not a CredentialProviderRequest`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An adapter that ignores its signal still cannot outlive the deadline. */
function raceDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Wires a provider to the real process: the few lines each binary's entry point needs. */
export async function main<F extends FlagSpecs>(provider: Provider<F>): Promise<never> {
  const out: string[] = [];
  const writes: Promise<void>[] = [];
  const code = await runProvider(provider, {
    argv: process.argv.slice(2),
    env: process.env,
    // File descriptors, not process.stdin/stdout: those streams cost more start-up than the exec (stdio.ts).
    stdin: readStdin(),
    stdout: (text) => out.push(text),
    stderr: (text) => void writes.push(writeOut(2, text)),
  });
  writes.push(writeOut(1, out.join('')));
  // Exit explicitly: pooled sockets must not keep a finished exec alive. Flush stdout first.
  await Promise.all(writes);
  process.exit(code);
}
