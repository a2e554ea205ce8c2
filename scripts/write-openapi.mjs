// Writes docs/openapi.json from the built emulator (`npm run openapi`). A test fails when the
// committed copy differs from what the code generates.
import { writeFileSync } from 'node:fs'
import { loadConfig } from '../dist/cli/config.js'
import { assemble } from '../dist/cli/assemble.js'

const request = loadConfig([], {})
const { app } = await assemble(request.config)
await app.ready()
writeFileSync(new URL('../docs/openapi.json', import.meta.url), JSON.stringify(app.swagger(), null, 2) + '\n')
await app.close()
console.log('wrote docs/openapi.json')
