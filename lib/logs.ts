/**
 * Every log line the bundle writes, one named function each, so a reader can see all of them in
 * one place and none can leak a key or token: they take ids, names and counts only.
 */
function line(fn: string, message: string): void {
  console.log(`[${fn}] ${message}`);
}

export const logs = {
  deletionStarted(fn: string, userId: string, actor: string): void {
    line(fn, `deleting user ${userId} (actor: ${actor})`);
  },
  cleanupRuleDone(fn: string, pass: string, outcome: { rule: string; action: string; documents: number; detached: number }): void {
    line(fn, `${pass} pass: ${outcome.action} ${outcome.documents} document(s), detached from ${outcome.detached} shared, in ${outcome.rule}`);
  },
  accountDeleted(fn: string, userId: string, outcome: string): void {
    line(fn, outcome === "deleted" ? `account ${userId} deleted` : `account ${userId} was already gone`);
  },
  deletionFinished(fn: string, userId: string, documents: number, detached: number): void {
    line(fn, `user ${userId} deleted with ${documents} document(s) cleaned up and ${detached} shared document(s) detached`);
  },
  stepFailed(fn: string, step: string, message: string): void {
    console.error(`[${fn}] step "${step}" failed: ${message}`);
  },
  denied(fn: string, reason: string): void {
    console.error(`[${fn}] denied: ${reason}`);
  },
  adminAction(fn: string, actorId: string, action: string, target: string): void {
    line(fn, `admin ${actorId} ${action} ${target}`);
  },
  adminSessionNotClosed(fn: string, message: string): void {
    console.error(`[${fn}] the Admin API session could not be closed (it expires by itself): ${message}`);
  },
  previewed(fn: string, userId: string, canDeleteNow: boolean, documents: number): void {
    line(fn, `previewed deleting user ${userId}: ${documents} document(s) covered by the plan; deletion ${canDeleteNow ? "can run now" : "cannot run now"}`);
  },
  dataExported(fn: string, userId: string, documents: number, bytes: number, more: boolean): void {
    line(fn, `exported ${documents} document(s) (${bytes} bytes) of user ${userId}${more ? "; more pages follow" : "; last page"}`);
  },
  batchProgress(fn: string, message: string): void {
    line(fn, message);
  },
  userListOutOfOrder(fn: string, after: string, until: string): void {
    console.error(`[${fn}] the Admin API user list answered a page out of id order (after ${after}): owners up to ${until} are checked one by one instead`);
  },
  scheduledRunFellBehind(fn: string, remaining: string, runs: number | undefined): void {
    const pace = runs === undefined ? "" : `, about ${runs} more run(s) at this run's pace`;
    line(fn, `behind: ${remaining} remain${pace}; schedule runs more often to catch up (README: Schedules)`);
  },
};
