/**
 * CORS on the client API only (issue 12, item 1): allowed origins get Access-Control-Allow-Origin
 * and an answered preflight; by default any http://localhost:* or http://127.0.0.1:* origin and
 * nothing else; --allow-origin replaces the list; a refused origin gets 403 and no CORS header;
 * the Admin API never sends CORS headers.
 */
import { request } from "node:http";
import { parseCliArgs } from "../../emulator/cli";
import { parseAllowedOrigin } from "../../emulator/http/cors";
import type { Emulator } from "../../emulator/server";
import { ADMIN, CLIENT, makeFixtureApp, startTestEmulator } from "../helpers/emulator";

/** A raw request, so the Origin header is sent exactly as a browser would. */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const preflight = (e: Emulator, origin: string, path = `${CLIENT}/app/${e.clientAppId}/functions/call`) =>
  send(e.url, "OPTIONS", path, { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type" });
const location = (e: Emulator, origin: string) => send(e.url, "GET", `${CLIENT}/app/${e.clientAppId}/location`, { Origin: origin });

describe("default origins", () => {
  let e: Emulator;
  beforeAll(async () => {
    e = await startTestEmulator({ appDir: makeFixtureApp() });
  });
  afterAll(() => e.close());

  it.each(["http://localhost:5173", "http://127.0.0.1:3000", "http://localhost"])("allows %s, with an answered preflight", async (origin) => {
    const pre = await preflight(e, origin);
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe(origin);
    expect(String(pre.headers["access-control-allow-methods"])).toContain("POST");
    expect(String(pre.headers["access-control-allow-headers"]).toLowerCase()).toEqual(expect.stringContaining("authorization"));
    const res = await location(e, origin);
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe(origin);
    expect(res.headers.vary).toContain("Origin");
  });

  it.each(["http://example.com", "https://localhost:5173", "http://localhost.evil.com", "http://127.0.0.2:8080", "null"])("refuses %s with 403 and no CORS header", async (origin) => {
    for (const res of [await preflight(e, origin), await location(e, origin)]) {
      expect(res.status).toBe(403);
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
      expect(JSON.parse(res.text)).toMatchObject({ error_code: "OriginNotAllowed", error: expect.stringContaining("--allow-origin") });
    }
  });

  it("a refused origin never reaches the function", async () => {
    const res = await send(e.url, "POST", `${CLIENT}/app/${e.clientAppId}/auth/providers/anon-user/login`, { Origin: "http://example.com", "Content-Type": "text/plain" }, "{}");
    expect(res.status).toBe(403);
    expect(e.state.isEmpty()).toBe(true);
  });

  it("requests without an Origin (not from a browser) work as before, with no CORS headers", async () => {
    const res = await send(e.url, "GET", `${CLIENT}/app/${e.clientAppId}/location`, {});
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("the Admin API sends no CORS headers, even to an allowed origin", async () => {
    const origin = "http://localhost:5173";
    const pre = await preflight(e, origin, `${ADMIN}/auth/providers/mongodb-cloud/login`);
    expect(pre.headers["access-control-allow-origin"]).toBeUndefined();
    expect(pre.status).not.toBe(204);
    const login = await send(e.url, "POST", `${ADMIN}/auth/providers/mongodb-cloud/login`, { Origin: origin, "Content-Type": "application/json" }, JSON.stringify({ username: e.adminKeys.publicKey, apiKey: e.adminKeys.privateKey }));
    expect(login.status).toBe(200);
    expect(Object.keys(login.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
  });
});

describe("--allow-origin", () => {
  let e: Emulator;
  beforeAll(async () => {
    e = await startTestEmulator({ appDir: makeFixtureApp(), allowOrigins: ["https://app.example.com"] });
  });
  afterAll(() => e.close());

  it("allows the listed origin and replaces the default list", async () => {
    expect((await preflight(e, "https://app.example.com")).headers["access-control-allow-origin"]).toBe("https://app.example.com");
    expect((await location(e, "http://localhost:5173")).status).toBe(403);
    expect((await location(e, "https://app.example.com.evil.com")).status).toBe(403);
  });

  it("the emulator's own page (same origin) is always allowed", async () => {
    expect((await location(e, e.url)).status).toBe(200);
  });

  it("is repeatable on the command line and validated, naming the fix", () => {
    expect(parseCliArgs(["--allow-origin", "https://a.example.com", "--allow-origin", "HTTP://LOCALHOST:5173/"]).allowOrigins).toEqual(["https://a.example.com", "http://localhost:5173"]);
    for (const bad of ["*", "app.example.com", "https://a.example.com/path", "ftp://a.example.com", "https://a.example.com?x=1"]) {
      expect(() => parseCliArgs(["--allow-origin", bad])).toThrow(/is not an origin\. --allow-origin takes an origin: scheme, host and optional port/);
    }
    expect(parseAllowedOrigin("https://a.example.com:8443")).toBe("https://a.example.com:8443");
  });
});
