// `gatehouse console …`: the admin console's shared session signing secret.
import { rotateConsoleSecret } from '../../console/session.js'
import type { Command } from '../command.js'

const rotateSecret: Command = {
  words: ['console', 'rotate-secret'],
  synopsis: '',
  summary: 'replace the console session signing secret: every admin signed in to /console is signed out, on every instance',
  async run(ctx) {
    const { store } = await ctx.services()
    await rotateConsoleSecret(store)
    ctx.print('Console session secret rotated; every console session has ended (admins sign in again).', { rotated: true })
  },
}

export const consoleCommands: Command[] = [rotateSecret]
