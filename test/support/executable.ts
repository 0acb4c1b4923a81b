/** What kind of executable a file is, read from its header: tests of cross-built binaries use it. */
import { closeSync, openSync, readSync } from 'node:fs';

export interface ExecutableFormat {
  format: 'elf' | 'pe' | 'unknown';
  machine: number;
}

/** The format and machine each build target must produce (ELF e_machine, PE COFF machine). */
export const TARGET_FORMATS = {
  'linux-x64': { format: 'elf', machine: 0x3e },
  'linux-arm64': { format: 'elf', machine: 0xb7 },
  'windows-x64': { format: 'pe', machine: 0x8664 },
} as const satisfies Record<string, ExecutableFormat>;

/** e_machine of an ELF file, or the machine field of a PE file's COFF header. */
export function executableFormat(file: string): ExecutableFormat {
  const head = Buffer.alloc(512);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])))
    return { format: 'elf', machine: head.readUInt16LE(18) };
  if (head.toString('latin1', 0, 2) === 'MZ') {
    const pe = head.readUInt32LE(0x3c);
    if (head.toString('latin1', pe, pe + 4) === 'PE\0\0') return { format: 'pe', machine: head.readUInt16LE(pe + 4) };
  }
  return { format: 'unknown', machine: 0 };
}
