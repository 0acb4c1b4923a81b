/**
 * One CycloneDX SBOM per archive, listing what that binary actually bundles. The bundler's metafile
 * (bun writes esbuild's format) names every module that went into the binary; @cyclonedx/cyclonedx-esbuild
 * turns it into components with the versions from each package's own package.json, so a package
 * in the lockfile that was tree-shaken away is not listed. The runtime the executable embeds is not
 * a bundled module, so it is added as one more component, and the result is checked against the
 * CycloneDX 1.6 schema with @cyclonedx/cyclonedx-library.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { runTool } from '../../cli/build/exec.ts';

const require = createRequire(import.meta.url);
// The package exports only its plugin (dist/plugin.js); its CLI sits in bin/ beside dist/.
const CLI = join(dirname(dirname(require.resolve('@cyclonedx/cyclonedx-esbuild'))), 'bin', 'cyclonedx-esbuild-cli.js');
export const SPEC_VERSION = '1.6';

export interface SbomInput {
  metafile: string;
  /** The directory the build ran in, which the metafile's paths are relative to. */
  root: string;
  outfile: string;
  archive: string;
  binary: string;
  target: string;
  /** The runtime embedded in the executable: an npm package and its version. */
  runtime: { name: string; version: string };
}

interface Bom {
  metadata: { component: { 'bom-ref': string; properties?: { name: string; value: string }[] } };
  components: { name: string; group?: string; version?: string; purl?: string; 'bom-ref': string }[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}

export async function writeSbom(input: SbomInput): Promise<void> {
  await runTool(process.execPath, [
    CLI,
    '--build-working-dir',
    input.root,
    '--spec-version',
    SPEC_VERSION,
    '--output-reproducible',
    '--mc-type',
    'application',
    '--output-file',
    input.outfile,
    input.metafile,
  ]);
  const bom = JSON.parse(readFileSync(input.outfile, 'utf8')) as Bom;
  addRuntime(bom, input.runtime);
  bom.metadata.component.properties = [
    ...(bom.metadata.component.properties ?? []),
    { name: 'credkit:archive', value: input.archive },
    { name: 'credkit:binary', value: input.binary },
    { name: 'credkit:target', value: input.target },
  ];
  const text = `${JSON.stringify(bom, null, 2)}\n`;
  const invalid = await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(text);
  if (invalid)
    throw new Error(`SBOM for ${input.archive} is not valid CycloneDX ${SPEC_VERSION}: ${JSON.stringify(invalid)}`);
  writeFileSync(input.outfile, text);
}

function addRuntime(bom: Bom, runtime: SbomInput['runtime']): void {
  const [group, name] = runtime.name.startsWith('@')
    ? (runtime.name.split('/') as [string, string])
    : [undefined, runtime.name];
  const ref = `runtime:${runtime.name}@${runtime.version}`;
  bom.components.push({
    type: 'platform',
    name,
    ...(group ? { group } : {}),
    version: runtime.version,
    description: 'the JavaScript runtime embedded in the executable',
    purl: `pkg:npm/${runtime.name.replace('@', '%40')}@${runtime.version}`,
    'bom-ref': ref,
  } as Bom['components'][number]);
  const main = bom.dependencies.find((dependency) => dependency.ref === bom.metadata.component['bom-ref']);
  if (main) main.dependsOn = [...(main.dependsOn ?? []), ref];
  else bom.dependencies.push({ ref: bom.metadata.component['bom-ref'], dependsOn: [ref] });
}
