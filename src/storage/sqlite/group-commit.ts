// Group commit for the embedded store: writes issued in one event-loop turn share one transaction.
import type Database from 'better-sqlite3'

interface Job {
  run: () => unknown
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
}

export interface GroupCommit {
  /** Runs `write` inside the next shared transaction; resolves once that transaction has committed. */
  <T>(write: () => T): Promise<T>
}

/**
 * Each SQLite commit appends the pages it dirtied to the WAL; fifty concurrent upserts committed one by
 * one write their index and table pages fifty times, committed together they write them about once.
 * A caller still hears of its write only after the COMMIT, so a 2xx keeps meaning "survives kill -9".
 *
 * `onRollback` runs when a batch fails and is replayed write by write (so one bad write fails alone):
 * anything a write remembered outside the database during the failed attempt must be forgotten there.
 */
export function createGroupCommit(sqlite: Database.Database, onRollback: () => void): GroupCommit {
  let queue: Job[] = []

  function flush(): void {
    const batch = queue
    queue = []
    const results: unknown[] = []
    try {
      sqlite.transaction(() => {
        for (const job of batch) results.push(job.run())
      })()
    } catch {
      onRollback()
      for (const job of batch) {
        try {
          job.resolve(job.run())
        } catch (err) {
          job.reject(err)
        }
      }
      return
    }
    batch.forEach((job, i) => job.resolve(results[i]))
  }

  return <T>(write: () => T) =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush)
      queue.push({ run: write, resolve: resolve as (value: unknown) => void, reject })
    })
}
