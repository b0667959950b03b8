/**
 * The demo account page at the emulator's root: emulator/page/index.html (with this emulator's
 * client app id and URL filled in), its script, and realm-web's browser bundle, read from disk
 * once. Served same-origin, so the page needs no CORS; its CSP allows only this origin.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join } from "node:path";

const PAGE_DIR = join(__dirname, "..", "page");

interface Asset {
  type: string;
  body: string;
}

export interface AccountPage {
  /** Answers GET/HEAD of the page's files and returns true; false for any other request. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean;
}

export function createAccountPage(options: { clientAppId: string; baseUrl(): string }): AccountPage {
  let assets: Map<string, Asset> | undefined;
  const load = (): Map<string, Asset> => {
    const html = readFileSync(join(PAGE_DIR, "index.html"), "utf8")
      .replace("__CLIENT_APP_ID__", escapeAttribute(options.clientAppId))
      .replace("__BASE_URL__", escapeAttribute(options.baseUrl()));
    return new Map<string, Asset>([
      ["/", { type: "text/html; charset=utf-8", body: html }],
      ["/account.js", { type: "text/javascript; charset=utf-8", body: readFileSync(join(PAGE_DIR, "account.js"), "utf8") }],
      ["/realm-web.js", { type: "text/javascript; charset=utf-8", body: readFileSync(join(dirname(require.resolve("realm-web")), "bundle.iife.js"), "utf8") }],
    ]);
  };

  function serve(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const asset = (assets ??= load()).get(path === "/index.html" ? "/" : path);
    if (!asset) return false;
    res.writeHead(200, {
      "Content-Type": asset.type,
      "Content-Length": Buffer.byteLength(asset.body),
      "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob:",
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : asset.body);
    return true;
  }

  return { serve };
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}
