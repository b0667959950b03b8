/**
 * The account page in a real browser (issue 12, items 4 and 5): Debian's Chromium, driven by
 * playwright-core, against the built bundle in the emulator. Register, preview, download, delete;
 * a page from a second origin calling the emulator through CORS; a disallowed origin refused.
 * Skips, naming the browser, only where no Chromium is installed (.ci/run installs it).
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { BrowserContext, Page } from "playwright-core";
import { demoCleanupPlan } from "../../emulator/seed";
import { startBuiltApp, type Harness } from "../helpers/builtApp";
import { CHROMIUM, launchChromium } from "./chromium";

jest.setTimeout(90_000);

/** The page's document, in the callbacks playwright runs inside the browser (tests are type-checked without the DOM lib). */
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  querySelectorAll(selector: string): { length: number };
  getElementById(id: string): { textContent: string | null } | null;
};

if (!CHROMIUM) {
  console.warn("Skipping the browser tests: Chromium is not installed (looked for $CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser). Install it with: apt-get install -y chromium");
}
const describeWithBrowser = CHROMIUM ? describe : describe.skip;

/** A page on another origin (another loopback address) that signs in anonymously and calls a function. */
function crossOriginPage(emulatorUrl: string, clientAppId: string): string {
  return `<!doctype html><html><body><script src="${emulatorUrl}/realm-web.js"></script><script>
(async () => {
  try {
    const app = new Realm.App({ id: ${JSON.stringify(clientAppId)}, baseUrl: ${JSON.stringify(emulatorUrl)} });
    const user = await app.logIn(Realm.Credentials.anonymous());
    const preview = await user.functions.previewDeleteCurrentUser();
    document.body.dataset.result = JSON.stringify({ userId: user.id, rules: preview.cleanup.length });
  } catch (err) {
    document.body.dataset.error = String(err && err.message);
  }
})();
</script></body></html>`;
}

function serveOn(host: string, html: () => string): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(html());
    });
    server.listen(0, host, () => resolve(server));
  });
}
const originOf = (server: Server, host: string) => `http://${host}:${(server.address() as AddressInfo).port}`;

describeWithBrowser("the account page in Chromium", () => {
  let h: Harness;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let allowedSite: Server;
  let refusedSite: Server;
  let page: Page;

  beforeAll(async () => {
    allowedSite = await serveOn("127.0.0.2", () => crossOriginPage(h.emulator.url, h.emulator.clientAppId));
    refusedSite = await serveOn("127.0.0.3", () => crossOriginPage(h.emulator.url, h.emulator.clientAppId));
    h = await startBuiltApp({ valueOverrides: { userDataCleanup: demoCleanupPlan() }, allowOrigins: [originOf(allowedSite, "127.0.0.2")] });
    browser = await launchChromium();
    page = await browser.context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.emulator.close();
    allowedSite?.close();
    refusedSite?.close();
  });

  const email = `page-${Date.now()}@example.com`;
  const password = "page-test-password";
  let userId: string;

  const previewRows = () => page.$$eval("#preview tbody tr", (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));

  it("registers, and the preview shows the counts of the seeded documents", async () => {
    await page.goto(`${h.emulator.url}/`);
    await page.fill("#email", email);
    await page.fill("#password", password);
    await page.click("#register");
    await page.waitForSelector("#account", { state: "visible" });
    userId = h.emulator.state.findUserByEmail(email)!.id;
    const at = new Date("2026-11-01T10:00:00Z");
    h.emulator.store.insertMany("demo", "notes", [
      { owner_id: userId, title: "First note", created_at: at },
      { owner_id: userId, title: "Second note", created_at: at },
      { owner_id: "65f0c0de0000000000000fff", title: "someone else's" },
    ]);
    h.emulator.store.insertMany("demo", "comments", [{ author_id: userId, author_name: "Page Tester", text: "hello" }]);
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll("#preview tbody tr").length === 2);
    expect(await previewRows()).toEqual([
      ["demo.notes by owner_id", "2", "0", "0"],
      ["demo.comments by author_id", "0", "1", "0"],
    ]);
    expect(await page.textContent("#ready")).toBe("Deleting your account can run now.");
    expect(await page.textContent("#who")).toBe(email);
  });

  it("downloads the export as a JSON file holding the seeded documents in canonical EJSON", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    expect(download.suggestedFilename()).toBe("my-data.json");
    const exported = JSON.parse(readFileSync((await download.path())!, "utf8"));
    expect(exported.userId).toBe(userId);
    const notes = exported.rules.find((r: any) => r.rule === "demo.notes by owner_id");
    expect(notes.owned.map((d: any) => d.title).sort()).toEqual(["First note", "Second note"]);
    expect(notes.owned[0]).toMatchObject({ _id: { $oid: expect.stringMatching(/^[0-9a-f]{24}$/) }, created_at: { $date: { $numberLong: String(Date.parse("2026-11-01T10:00:00Z")) } } });
    expect(exported.rules.find((r: any) => r.rule === "demo.comments by author_id").owned).toEqual([expect.objectContaining({ author_name: "Page Tester", text: "hello" })]);
    expect(JSON.stringify(exported)).not.toContain("someone else's");
  });

  it("shows a function's error as its message", async () => {
    h.emulator.runtime.setValue("adminApiPrivateKey", "wrong-key");
    try {
      await page.reload();
      await page.waitForFunction(() => (document.getElementById("ready")?.textContent ?? "").startsWith("Deleting your account cannot run now"));
      expect(await page.textContent("#ready")).toMatch(/Admin API login was refused/);
      await page.click("#delete");
      await page.fill("#confirm-text", "DELETE");
      await page.click("#confirm-delete");
      await page.waitForFunction(() => (document.getElementById("error")?.textContent ?? "") !== "");
      expect(await page.textContent("#error")).toMatch(/^deleteCurrentUser stopped at step "login": Admin API login was refused/);
      expect(h.emulator.state.getUser(userId)).toBeDefined();
    } finally {
      h.emulator.runtime.setValue("adminApiPrivateKey", h.emulator.adminKeys.privateKey);
    }
  });

  it("deletes the account after a typed confirmation, shows the receipt and signs out", async () => {
    await page.reload();
    await page.waitForSelector("#account", { state: "visible" });
    await page.click("#delete");
    expect(await page.isDisabled("#confirm-delete")).toBe(true);
    await page.fill("#confirm-text", "delete");
    expect(await page.isDisabled("#confirm-delete")).toBe(true);
    await page.fill("#confirm-text", "DELETE");
    await page.click("#confirm-delete");
    await page.waitForSelector("#done", { state: "visible" });
    const receipt = JSON.parse((await page.textContent("#receipt"))!);
    expect(receipt).toMatchObject({ userId, account: "deleted", deletedBy: "self" });
    expect(await page.isVisible("#signin")).toBe(true);
    expect(await page.isVisible("#account")).toBe(false);
    expect(h.emulator.state.getUser(userId)).toBeUndefined();
    expect(h.emulator.store.documents("demo", "notes").filter((d) => d.owner_id === userId)).toEqual([]);
    expect(h.emulator.store.documents("demo", "notes").map((d) => d.title)).toContain("someone else's");
    expect(h.emulator.store.documents("demo", "comments").filter((d) => d.author_id === userId)).toEqual([]);
  });

  it("hides the deleted account's receipt once someone else signs in", async () => {
    expect(await page.isVisible("#done")).toBe(true);
    await page.fill("#email", `other-${email}`);
    await page.fill("#password", password);
    await page.click("#register");
    await page.waitForSelector("#account", { state: "visible" });
    expect(await page.isVisible("#done")).toBe(false);
    await page.click("#signout");
    await page.waitForSelector("#signin", { state: "visible" });
  });

  it("signs in anonymously, with nothing to delete in the preview", async () => {
    const anon = await browser.context.newPage();
    await anon.goto(`${h.emulator.url}/`);
    await anon.click("#anon");
    await anon.waitForSelector("#account", { state: "visible" });
    expect(await anon.textContent("#who")).toMatch(/^an anonymous user \([0-9a-f]{24}\)$/);
    await anon.waitForFunction(() => document.querySelectorAll("#preview tbody tr").length === 2);
    expect(await anon.$$eval("#preview tbody td", (cells) => cells.map((c) => c.textContent).filter((t) => /^\d+$/.test(t ?? "")))).toEqual(["0", "0", "0", "0", "0", "0"]);
    await anon.close();
  });

  it("a page on an allowed second origin calls the emulator through CORS", async () => {
    const other = await browser.context.newPage();
    await other.goto(`${originOf(allowedSite, "127.0.0.2")}/`);
    await other.waitForFunction(() => document.body.dataset.result || document.body.dataset.error);
    expect(await other.evaluate(() => document.body.dataset.error)).toBeUndefined();
    const result = JSON.parse((await other.evaluate(() => document.body.dataset.result))!);
    expect(result.rules).toBe(2);
    expect(h.emulator.state.getUser(result.userId)).toBeDefined();
    await other.close();
  });

  it("a page on a disallowed origin is refused and creates nothing", async () => {
    const other = await browser.context.newPage();
    const users = h.emulator.state.userCount();
    await other.goto(`${originOf(refusedSite, "127.0.0.3")}/`);
    await other.waitForFunction(() => document.body.dataset.result || document.body.dataset.error);
    expect(await other.evaluate(() => document.body.dataset.result)).toBeUndefined();
    expect(await other.evaluate(() => document.body.dataset.error)).toMatch(/fetch/i);
    expect(h.emulator.state.userCount()).toBe(users);
    await other.close();
  });
});
