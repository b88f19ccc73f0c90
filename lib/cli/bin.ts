#!/usr/bin/env node
/**
 * The `stochastic-smoothing` bin (package.json "bin"). The commands draw charts with vega / vega-lite and show
 * progress with cli-progress: optional peer dependencies, so that a library user does not install them (a
 * clone has them as dev dependencies). When one is missing, say what to install instead of failing deep inside
 * an import with ERR_MODULE_NOT_FOUND; otherwise run the command line (main.ts; tests call its main() in-process).
 */
const CLI_PACKAGES = ['vega', 'vega-lite', 'cli-progress'];

function installed(name: string): boolean {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
}

const missing = CLI_PACKAGES.filter((name) => !installed(name));
if (missing.length > 0) {
  console.error(
    `stochastic-smoothing: the command line needs ${missing.join(', ')}, optional dependencies that a library install leaves out.\n` +
      `Install them next to stochastic-smoothing: npm install ${missing.join(' ')}`,
  );
  process.exitCode = 1;
} else {
  const { main } = await import('./main.js');
  process.exitCode = await main(process.argv.slice(2));
}
