#!/usr/bin/env node
// The `stochastic-smoothing` bin; the commands live in command.ts so tests can call them in-process.
import { main } from './command.js';

process.exitCode = await main(process.argv.slice(2));
