/**
 * credkit/testing: the kit credkit tests itself with, for testing your own providers the same way:
 * a test CA, a service account token issuer, a CONNECT proxy that puts fake servers behind real
 * host names (`startFakeWorld`), the kubelet's exec-and-judge rules (`runLikeKubelet`), a real
 * registry client (`skopeoInspect`), and every registered adapter's scenario (`startScenario`).
 * Each cloud's own strict fakes are its `fake` subpath: `credkit/ecr/fake`, `credkit/acr/fake`, ...
 * @packageDocumentation
 */
export * from '../core/testing/index.ts';
export { startScenario } from './scenarios.ts';
