/**
 * credkit: the framework CLI. One file per command; this one only dispatches. The bin
 * (cli/credkit.ts) checks the Node version first, then imports this file.
 */
import { CredkitError, oneLine, toCredkitError } from '../core/index.ts';
import { packageVersion } from './package.ts';

const HELP = `usage: credkit <command> [flags]

commands:
  build <module> -o <file> [--target T]   compile a provider module into a standalone executable
  config <ecr|acr|gar|module>             print the kubelet config, RBAC and cloud trust for a provider
  invoke <binary> --image IMAGE           run a provider as the kubelet does and judge the answer
  doctor --config C --bin-dir D --image I explain which provider runs for an image and why it fails

Run "credkit <command> --help" for a command's flags; "credkit --version" prints the version.
`;

type Command = (argv: string[], out: (text: string) => void) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  build: async () => {
    const { runBuildCommand } = await import('./build.ts');
    return (argv, out) => runBuildCommand(argv, { stdout: out, stderr: (text) => process.stderr.write(text) });
  },
  config: async () => (await import('./config.ts')).runConfigCommand,
  invoke: async () => (await import('./invoke.ts')).runInvokeCommand,
  doctor: async () => (await import('./doctor.ts')).runDoctorCommand,
};

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const out = (text: string) => process.stdout.write(text);
  if (!name || name === '--help' || name === '-h' || name === 'help') return (out(HELP), name ? 0 : 2);
  if (name === '--version') return (out(`credkit ${packageVersion()}\n`), 0);
  const load = COMMANDS[name];
  if (!load) throw new CredkitError('usage', `unknown command ${JSON.stringify(name)}: see credkit --help`);
  return (await load())(rest, out);
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  const failure = toCredkitError(error, 'usage');
  process.stderr.write(`credkit: ${oneLine(failure.message)}\n`);
  process.exitCode = failure.exitCode;
}
