/** Runs a build tool and keeps its output for the error message (tools print progress we do not want). */
import { execFile } from 'node:child_process';

export interface ToolResult {
  stdout: string;
  stderr: string;
}

export class ToolError extends Error {
  readonly output: string;
  constructor(message: string, output: string) {
    super(message);
    this.name = 'ToolError';
    this.output = output;
  }
}

export function runTool(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 64 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout, stderr });
      const output = `${stdout}\n${stderr}`.trim();
      reject(new ToolError(`${file.split(/[\\/]/).pop()} failed: ${lastLines(output) || error.message}`, output));
    });
  });
}

/** The tail of a tool's output is where the reason is; the head is progress. */
function lastLines(text: string, count = 6): string {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .slice(-count)
    .join('\n');
}
