#!/usr/bin/env node
// The `stochastic-smoothing` bin (package.json "bin"); the CLI itself is lib/cli/, whose main() tests call in-process.
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2));
