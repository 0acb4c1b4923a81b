/**
 * The `credkit` bin itself: the Node version check that runs before anything is imported, and the
 * top-level flags. The bin is run from source here; test/package/consumer.test.ts runs the packed one.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../cli/credkit.ts', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

/** Runs the bin under this Node, which then reports `node` as its version (a preload sets it). */
function credkitOnNode(node: string, ...args: string[]) {
  const preload = `Object.defineProperty(process, 'version', { value: 'v${node}' }); Object.defineProperty(process.versions, 'node', { value: '${node}' });`;
  const flags =
    node === process.versions.node ? [] : ['--import', `data:text/javascript,${encodeURIComponent(preload)}`];
  return run(process.execPath, [...flags, BIN, ...args]).catch((error) => error);
}

describe('credkit bin: the Node version comes first', () => {
  it.each([
    {
      node: '20.19.0',
      code: 2,
      stderr: 'credkit needs Node.js 22 or newer; this is Node.js v20.19.0: install a current Node.js LTS\n',
    },
    {
      node: '18.20.8',
      code: 2,
      stderr: 'credkit needs Node.js 22 or newer; this is Node.js v18.20.8: install a current Node.js LTS\n',
    },
    { node: '22.12.0', code: 0, stderr: '' },
    { node: process.versions.node, code: 0, stderr: '' },
  ])('Node $node: exit $code', async ({ node, code, stderr }) => {
    const result = await credkitOnNode(node, '--version');
    expect(result.code ?? 0).toBe(code);
    expect(result.stderr).toBe(stderr);
    expect(result.stdout).toBe(code === 0 ? `credkit ${version}\n` : '');
  });

  it('starts with the shebang npm links the bin by', () => {
    expect(readFileSync(BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });
});

describe('credkit top-level flags', () => {
  it.each([
    { args: ['--help'], code: 0, stdout: /^usage: credkit <command> \[flags\]/ },
    { args: [], code: 2, stdout: /^usage: credkit <command> \[flags\]/ },
    { args: ['--version'], code: 0, stdout: new RegExp(`^credkit ${version.replaceAll('.', '\\.')}\\n$`) },
  ])('credkit $args → exit $code', async ({ args, code, stdout }) => {
    const result = await credkitOnNode(process.versions.node, ...args);
    expect(result.code ?? 0).toBe(code);
    expect(result.stdout).toMatch(stdout);
  });
});
