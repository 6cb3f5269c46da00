/** Every schema file the reference and the overrides make: file name -> YAML text. */
export function generate(reference: unknown, overrides: unknown): Map<string, string>
