/**
 * The process's stdin, stdout and stderr through file descriptors. An exec reads one small request
 * and writes one small answer; setting up the `process.stdin`/`process.stdout` streams for that costs
 * more than the rest of the exec in a compiled binary (bench/RESULTS.md: ~45 ms of a bun binary's
 * start-up, against ~1 ms for fs calls). The streams remain the fallback for non-blocking
 * descriptors (EAGAIN), which a kubelet does not hand us but a shell or test harness might.
 */
import { readSync, writeSync } from 'node:fs';

const CHUNK_BYTES = 64 * 1024;

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** stdin to end of file, chunk by chunk; the consumer may stop early (size limit). */
export async function* readStdin(): AsyncGenerator<Uint8Array> {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  for (;;) {
    let bytes: number;
    try {
      bytes = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EOF') return; // Windows pipes report end of file this way
      if (code !== 'EAGAIN') throw error;
      for await (const chunk of process.stdin) yield chunk as Uint8Array;
      return;
    }
    if (bytes === 0) return;
    yield Buffer.from(buffer.subarray(0, bytes));
  }
}

/**
 * Writes all of `text` to fd 1 or 2. Resolves once it is written; what a non-blocking descriptor
 * refuses goes through the stream, and the promise waits for that stream to flush.
 */
export function writeOut(fd: 1 | 2, text: string): Promise<void> {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      const code = errnoCode(error);
      // EPIPE, EBADF: the reader is gone or was never there; there is nobody left to tell.
      if (code !== 'EAGAIN') return Promise.resolve();
      const stream = fd === 1 ? process.stdout : process.stderr;
      const rest = bytes.subarray(offset);
      return new Promise((resolve) => stream.write(rest, () => resolve()));
    }
  }
  return Promise.resolve();
}
