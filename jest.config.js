/** Tests run the TypeScript sources through swc (ts-jest refuses TypeScript 7). */
const swc = (syntax) => ["@swc/jest", { jsc: { parser: { syntax }, target: "es2022" }, module: { type: "commonjs" } }];

module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": swc("typescript"), "^.+\\.js$": swc("ecmascript") },
  // jose 6 is ESM-only: swc turns it into CommonJS for jest, as for our own sources (../shared/docs/toolchain.md).
  transformIgnorePatterns: ["/node_modules/(?!jose/)"],
  collectCoverageFrom: ["lib/**/*.ts", "functions/**/*.ts", "build/**/*.ts", "emulator/**/*.ts"],
  coverageReporters: ["text-summary"],
  testTimeout: 30000,
  reporters: ["default", "<rootDir>/test/summaryReporter.js"],
};
