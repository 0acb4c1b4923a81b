import { afterEach, describe, expect, it } from 'vitest';
import { skopeoInspect } from '../../../core/testing/skopeo.ts';
import { type FakeWorld, startFakeWorld } from '../../../core/testing/world.ts';

describe('skopeoInspect without skopeo', () => {
  const path = process.env.PATH;
  let world: FakeWorld | undefined;
  afterEach(async () => {
    process.env.PATH = path;
    await world?.close();
  });

  it('says what to install, instead of spawn ENOENT', async () => {
    world = await startFakeWorld();
    process.env.PATH = '/nonexistent';
    const failure = await skopeoInspect(world, 'registry.credkit.test/app:1', { username: 'u', password: 'p' }).catch(
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe(
      'skopeoInspect runs skopeo, which is not on PATH: install it (Debian and Ubuntu: apt-get install skopeo)',
    );
  });
});
