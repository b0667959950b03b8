/** Where the user ran npm: npm runs scripts in the project root but says where it was started in INIT_CWD. */
export function invocationDir(): string {
  return process.env.INIT_CWD || process.cwd();
}
