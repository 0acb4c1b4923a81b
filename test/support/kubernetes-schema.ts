/**
 * Kubernetes API schemas for the manifests credkit ships, checked strictly (an unknown field is an
 * error, as kubectl's strict field validation makes it). No npm package here ships the API's JSON
 * schemas, so they are generated from `kubernetes-types` (TypeScript declarations generated from the
 * Kubernetes OpenAPI spec) with ts-json-schema-generator, additionalProperties false, and checked
 * with ajv.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { createGenerator, type SchemaGenerator } from 'ts-json-schema-generator';

const TYPES_DIR = dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'));

/** `apiVersion/kind` -> the kubernetes-types declaration that describes it. */
const KINDS: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'apps/v1/DaemonSet': 'DaemonSet',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'ClusterRoleBinding',
};
/** The declaration files of those kinds (one TypeScript program for all: the slow part). */
const FILES = '{core,apps,rbac}/v1.d.ts';

export type KubernetesValidator = (document: unknown) => string[];

/** A validator for the kinds above; each kind's schema is generated on first use. */
export function kubernetesValidator(): KubernetesValidator {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const compiled = new Map<string, ValidateFunction>();
  let generator: SchemaGenerator | undefined;
  return (document) => {
    const { apiVersion, kind } = (document ?? {}) as { apiVersion?: unknown; kind?: unknown };
    const key = `${apiVersion}/${kind}`;
    const type = KINDS[key];
    if (!type) return [`no schema for apiVersion ${String(apiVersion)}, kind ${String(kind)}`];
    let validate = compiled.get(key);
    if (!validate) {
      generator ??= createGenerator({
        path: join(TYPES_DIR, FILES),
        additionalProperties: false,
        skipTypeCheck: true,
        expose: 'all',
        topRef: false,
      });
      validate = ajv.compile(generator.createSchema(type));
      compiled.set(key, validate);
    }
    return validate(document) ? [] : (validate.errors ?? []).map(describe);
  };
}

function describe(error: ErrorObject): string {
  const extra = error.keyword === 'additionalProperties' ? ` "${error.params.additionalProperty}"` : '';
  return `${error.instancePath || '/'} ${error.message}${extra}`;
}
