import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeCacheDir } from '../../cli/build/runtimes.ts';

describe('runtimeCacheDir: per user, never inside node_modules', () => {
  it.each([
    {
      name: 'CREDKIT_RUNTIME_CACHE wins',
      env: { CREDKIT_RUNTIME_CACHE: '/srv/rt', XDG_CACHE_HOME: '/x' },
      platform: 'linux',
      dir: '/srv/rt',
    },
    { name: 'XDG_CACHE_HOME', env: { XDG_CACHE_HOME: '/x' }, platform: 'linux', dir: '/x/credkit/runtimes' },
    { name: 'default ~/.cache', env: {}, platform: 'linux', dir: join(homedir(), '.cache', 'credkit', 'runtimes') },
    {
      name: 'Windows LOCALAPPDATA',
      env: { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' },
      platform: 'win32',
      dir: join('C:\\Users\\u\\AppData\\Local', 'credkit', 'runtimes'),
    },
  ])('$name', ({ env, platform, dir }) => {
    expect(runtimeCacheDir(env, platform as NodeJS.Platform)).toBe(dir);
  });
});
