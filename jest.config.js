/** Tests run the TypeScript sources through swc (ts-jest refuses TypeScript 7). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }] },
  collectCoverageFrom: ["lib/**/*.ts", "functions/**/*.ts", "build/**/*.ts", "emulator/**/*.ts"],
  coverageReporters: ["text-summary"],
  testTimeout: 30000,
  reporters: ["default", "<rootDir>/test/summaryReporter.js"],
};
