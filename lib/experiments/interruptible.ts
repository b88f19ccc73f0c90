/** The shared tail of the long-running study commands: Ctrl-C aborts, the report is written either way. */

/**
 * Run `run` with SIGINT wired to `controller` (a second Ctrl-C exits at once), write the report, print the
 * summary, and return the exit code: 0, or 130 when stopped early (the finished cells stay in `out`).
 */
export async function runInterruptible<R extends { completed: boolean }>(
  controller: AbortController,
  stopBar: () => void,
  out: string,
  run: () => Promise<R>,
  report: (result: R) => Promise<string>,
): Promise<number> {
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await run();
    stopBar();
    console.log(await report(result));
    if (!result.completed) {
      console.log(`Stopped: the finished cells are kept in ${out}; continue with the same flags and --resume.`);
      return 130;
    }
    return 0;
  } finally {
    stopBar();
    process.off('SIGINT', onSigint);
  }
}
