/**
 * How a command-line flag is declared. A leaf module: the provider API, the argument parser and
 * the logging flag families all declare flags, and none may import another for it.
 */

/** A provider-specific command-line flag (parsed with node:util parseArgs). */
export interface FlagSpec {
  type: 'string' | 'boolean';
  description: string;
  multiple?: boolean;
  short?: string;
  default?: string | boolean;
  /** What a string flag's value is, for --help (`--image=IMAGE`); default VALUE. */
  value?: string;
}
export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValues<F extends FlagSpecs> = {
  [K in keyof F]?: F[K]['type'] extends 'boolean' ? boolean : F[K]['multiple'] extends true ? string[] : string;
};
