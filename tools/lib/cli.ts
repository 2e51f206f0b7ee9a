// Exit codes shared by the operator commands, and the wrapper that maps a thrown error to code 1.
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** Something needs attention: a stack drifted, an endpoint or a cell is down. */
export const EXIT_ATTENTION = 2;

export async function runCommand(main: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    process.exitCode = EXIT_ERROR;
  }
}
