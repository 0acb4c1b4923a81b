/**
 * What `credkit build` can produce. The kubelet execs a plugin on Linux and Windows nodes only
 * (research/kubelet-protocol.md: the binary is looked up in the plugin directory, `.exe` on Windows),
 * so the targets are the node platforms people run, not every platform a runtime supports.
 */
export const TARGETS = ['linux-x64', 'linux-arm64', 'windows-x64'] as const;
export type Target = (typeof TARGETS)[number];

/** bun --compile (default, by the figures in bench/RESULTS.md) or a Node.js single executable application. */
export const BACKENDS = ['bun', 'node-sea'] as const;
export type Backend = (typeof BACKENDS)[number];

export function isTarget(value: string): value is Target {
  return (TARGETS as readonly string[]).includes(value);
}

export function isBackend(value: string): value is Backend {
  return (BACKENDS as readonly string[]).includes(value);
}

/** The target this machine can run, or undefined (e.g. macOS: build with an explicit --target). */
export function hostTarget(platform: string = process.platform, arch: string = process.arch): Target | undefined {
  const name = `${platform === 'win32' ? 'windows' : platform}-${arch}`;
  return isTarget(name) ? name : undefined;
}

/** Windows only runs `.exe` files; the kubelet finds `credkit-ecr.exe` for a provider named credkit-ecr. */
export function executableName(outfile: string, target: Target): string {
  return target.startsWith('windows-') && !outfile.toLowerCase().endsWith('.exe') ? `${outfile}.exe` : outfile;
}
