// Vitest globalSetup: the schema files into the manifest the Worker imports, before any test
// module loads it, as wrangler's [build] command does for `wrangler dev` and `wrangler deploy`.
// So `npm test` (or one `npx vitest run` file) sees a new or changed schema file without a
// separate command.
import { buildManifestFiles } from '../../scripts/build-manifest.mjs'

export default async function setup() {
  await buildManifestFiles()
}
