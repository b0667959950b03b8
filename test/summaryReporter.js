/**
 * Ends a jest run with one plain line, "jest: N passed, N failed[, N skipped]", that CI systems
 * reading any language's closing line understand.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `jest: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`;
    // At exit, so it comes after jest's own summary and stays the last line.
    process.once("exit", () => process.stdout.write(line));
  }
}
module.exports = SummaryReporter;
