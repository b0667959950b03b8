/** The account page's files at the emulator's root (issue 12, item 4); the browser suite drives the page itself. */
import { bannerFor } from "../helpers/cliBanner";
import type { Emulator } from "../../emulator/server";
import { makeFixtureApp, startTestEmulator } from "../helpers/emulator";

let e: Emulator;
beforeAll(async () => {
  e = await startTestEmulator({ appDir: makeFixtureApp(), clientAppId: "page-app-xyz" });
});
afterAll(() => e.close());

it("serves the page at / with this emulator's app id and URL, under a same-origin CSP", async () => {
  const res = await fetch(`${e.url}/`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
  const html = await res.text();
  expect(html).toContain(`data-app-id="page-app-xyz" data-base-url="${e.url}"`);
  expect(html).toContain('<script src="realm-web.js"></script>');
});

it("serves realm-web's browser bundle and the page script", async () => {
  const bundle = await fetch(`${e.url}/realm-web.js`);
  expect(bundle.headers.get("content-type")).toMatch(/^text\/javascript/);
  expect(await bundle.text()).toMatch(/exports\.App = App;/);
  const script = await (await fetch(`${e.url}/account.js`)).text();
  expect(script).toContain("previewDeleteCurrentUser");
  expect(script).toContain("exportCurrentUserData");
});

it("npm start prints the page's link", () => {
  const text = bannerFor(e, { seeded: true, users: [{ email: "a@example.com", password: "pw", id: "65f0c0de0000000000000001" }] });
  expect(text).toContain(`account page:   ${e.url}/`);
  expect(text).toContain("browser origins: http://localhost:* and http://127.0.0.1:*");
});
