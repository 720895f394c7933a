import * as fs from "fs";
import * as path from "path";

/** The extension's folder (tests run from out/test/). */
export const ROOT = path.resolve(__dirname, "..", "..");

export function readJson(rel: string): any {
  return JSON.parse(fs.readFileSync(path.join(ROOT, rel), "utf8"));
}

export const manifest = readJson("package.json");
