/**
 * credkit/testing: the fakes credkit tests itself with, for testing your own providers the same way.
 * @packageDocumentation
 */

export {
  fullApiVersion,
  type JudgeInput,
  judgeResponse,
  type KubeletResult,
  type KubeletRun,
  type KubeletVerdict,
  registryOf,
  runLikeKubelet,
} from '../kubelet.ts';
export { createTestCA, type LeafCertificate, type TestCA } from './ca.ts';
export { type FakeIssuer, type FakeIssuerOptions, type MintOptions, startFakeIssuer } from './issuer.ts';
export { type ConnectProxy, type ProxyRoute, startConnectProxy } from './proxy.ts';
export {
  isRegistryPing,
  type RegistryImage,
  registryError,
  registryRepository,
  sampleImage,
  serveRegistryContent,
} from './registry.ts';
export {
  type AdapterTesting,
  carriesIdentity,
  kubeletEnv,
  SCENARIO_NAMESPACE,
  type Scenario,
  type ScenarioRun,
  scenarioSubject,
  scenarioToken,
} from './scenario.ts';
export {
  type FakeHandler,
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
  type FakeServerOptions,
  type Fault,
  type FaultQueue,
  startFakeServer,
} from './server.ts';
export { type InspectResult, skopeoInspect } from './skopeo.ts';
export { type FakeWorld, startFakeWorld } from './world.ts';
