/**
 * Which dockercfg entries go into one answer, per cacheKeyType: the kubelet's keyring rules
 * (URLsMatch after normalising the key, most specific first) decide what matches.
 */
import { describe, expect, it } from 'vitest';
import type { DockerConfigEntry } from '../../../adapters/gar/dockercfg.ts';
import { selectEntries } from '../../../adapters/gar/dockercfg-match.ts';
import { type CacheKeyType, parseImage } from '../../../core/index.ts';

const entry = (key: string, username = `u-${key}`, password = `p-${key}`): DockerConfigEntry => ({
  key,
  username,
  password,
});
const CONFIG = [
  entry('https://r.io'),
  entry('r.io/team'),
  entry('r.io:5000'),
  entry('*.pkg.dev'),
  entry('other.io'),
  entry('http://legacy.io/v1/'),
  entry('empty.io', '', ''),
];

describe('selectEntries', () => {
  it.each<{
    name: string;
    image: string;
    keyType: CacheKeyType;
    first?: string;
    others?: string[];
    answer?: CacheKeyType;
  }>([
    {
      name: 'Image: the one key for the host',
      image: 'r.io/app',
      keyType: 'Image',
      first: 'https://r.io',
      others: [],
      answer: 'Image',
    },
    {
      name: 'Image: the path key first, then the host',
      image: 'r.io/team/app',
      keyType: 'Image',
      first: 'r.io/team',
      others: ['https://r.io'],
      answer: 'Image',
    },
    {
      name: 'Image: a port must match',
      image: 'r.io:5000/app',
      keyType: 'Image',
      first: 'r.io:5000',
      others: [],
      answer: 'Image',
    },
    {
      name: 'Image: a glob key, one label',
      image: 'us-docker.pkg.dev/p/r/i',
      keyType: 'Image',
      first: '*.pkg.dev',
      others: [],
      answer: 'Image',
    },
    {
      name: 'Image: /v1/ is the registry, as the keyring reads it',
      image: 'legacy.io/app',
      keyType: 'Image',
      first: 'http://legacy.io/v1/',
      others: [],
      answer: 'Image',
    },
    { name: 'no key matches', image: 'nowhere.io/app', keyType: 'Image' },
    { name: 'an entry without credentials is not used', image: 'empty.io/app', keyType: 'Global' },
    {
      name: 'Registry: every entry on the registry, any path',
      image: 'r.io/app',
      keyType: 'Registry',
      first: 'https://r.io',
      others: ['r.io/team'],
      answer: 'Registry',
    },
    {
      name: 'Registry: only path keys there, so the answer is keyed to the Image',
      image: 'r.io:5000/app',
      keyType: 'Registry',
      first: 'r.io:5000',
      others: [],
      answer: 'Registry',
    },
    {
      name: 'Global: every entry with credentials',
      image: 'other.io/app',
      keyType: 'Global',
      first: 'other.io',
      others: ['https://r.io', 'r.io/team', 'r.io:5000', '*.pkg.dev', 'http://legacy.io/v1/'],
      answer: 'Global',
    },
  ])('$name', ({ image, keyType, first, others, answer }) => {
    const selection = selectEntries(CONFIG, parseImage(image), keyType);
    expect(selection?.first.key).toBe(first);
    expect(selection?.others.map((e) => e.key)).toEqual(others);
    expect(selection?.keyType).toBe(answer);
  });

  it('Registry with only a path key on the registry: Image', () => {
    const selection = selectEntries([entry('r.io/team')], parseImage('r.io/team/app'), 'Registry');
    expect(selection).toMatchObject({ first: { key: 'r.io/team' }, others: [], keyType: 'Image' });
  });
});
