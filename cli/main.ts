/**
 * credkit: the framework CLI. One file per command, each declaring its own flags and help
 * (cli/command.ts); this one only dispatches, loading a command's module when it runs. The bin
 * (cli/credkit.ts) checks the Node version first, then imports this file.
 */
import { CredkitError, oneLine, toCredkitError } from '../core/index.ts';
import { packageVersion } from './package.ts';

type Command = (argv: string[], out: (text: string) => void) => Promise<number>;

const COMMANDS: Record<string, { synopsis: string; summary: string; load: () => Promise<Command> }> = {
  build: {
    synopsis: 'build <module> -o <file>',
    summary: 'compile a provider module into a standalone executable',
    load: async () => {
      const { runBuildCommand } = await import('./build.ts');
      return (argv, out) => runBuildCommand(argv, { stdout: out, stderr: (text) => process.stderr.write(text) });
    },
  },
  config: {
    synopsis: 'config <cloud|module>',
    summary: 'print the kubelet config for a provider (--rbac, --trust, --out-dir: the rest)',
    load: async () => (await import('./config.ts')).runConfigCommand,
  },
  invoke: {
    synopsis: 'invoke <binary> --image IMAGE',
    summary: 'run a provider as the kubelet does and judge the answer',
    load: async () => (await import('./invoke.ts')).runInvokeCommand,
  },
  doctor: {
    synopsis: 'doctor --config C --bin-dir D --image I',
    summary: 'explain which provider runs for an image and why it fails',
    load: async () => (await import('./doctor.ts')).runDoctorCommand,
  },
};

function help(): string {
  const width = Math.max(...Object.values(COMMANDS).map(({ synopsis }) => synopsis.length)) + 2;
  const lines = Object.values(COMMANDS).map(({ synopsis, summary }) => `  ${synopsis.padEnd(width)}${summary}`);
  return [
    'usage: credkit <command> [flags]',
    '',
    'commands:',
    ...lines,
    '',
    'Run "credkit <command> --help" for a command\'s flags; "credkit --version" prints the version.',
    '',
  ].join('\n');
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const out = (text: string) => process.stdout.write(text);
  if (!name || name === '--help' || name === '-h' || name === 'help') return (out(help()), name ? 0 : 2);
  if (name === '--version') return (out(`credkit ${packageVersion()}\n`), 0);
  const command = COMMANDS[name];
  if (!command) throw new CredkitError('usage', `unknown command ${JSON.stringify(name)}: see credkit --help`);
  return (await command.load())(rest, out);
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  const failure = toCredkitError(error, 'usage');
  process.stderr.write(`credkit: ${oneLine(failure.message)}\n`);
  process.exitCode = failure.exitCode;
}
