#!/usr/bin/env node
/**
 * The `credkit` bin. It imports nothing statically: an ES module's imports are linked before any of
 * its code runs, so on a Node too old for them the user would see a link error instead of the one
 * line below. Plain syntax only (no top-level await, no `??`), so even old Nodes parse this file.
 */
const MINIMUM_NODE_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);
if (major < MINIMUM_NODE_MAJOR) {
  process.stderr.write(
    `credkit needs Node.js ${MINIMUM_NODE_MAJOR} or newer; this is Node.js ${process.version}: install a current Node.js LTS\n`,
  );
  process.exitCode = 2;
} else {
  import('./main.ts').catch((error) => {
    // Only a broken install gets here (main.ts reports its own failures): one line, no stack.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`credkit: cannot start: ${message.split('\n')[0]}\n`);
    process.exitCode = 1;
  });
}
