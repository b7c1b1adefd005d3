// Writes a secret to a file that only its owner can read (mode 0600), in a directory only its owner can enter.
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

export function writeOwnerOnlyFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  // A stale file (or a symlink planted in its place) is removed, then the path is created afresh: 'wx' refuses
  // to follow a link, and the mode is set on the descriptor because the umask could have narrowed it.
  rmSync(path, { force: true })
  const fd = openSync(path, 'wx', 0o600)
  try {
    fchmodSync(fd, 0o600)
    writeSync(fd, content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
