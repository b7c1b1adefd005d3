// A cap on concurrent host lookups, so a partner whose DNS hangs cannot stall every other partner's signature checks.
//
// Node resolves host names with getaddrinfo on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says
// otherwise), the same pool that runs every RS256 verification. getaddrinfo cannot be cancelled: against an
// unresponsive name server it holds its thread for the resolver's whole timeout (seconds), long after the
// fetch's own deadline has given up. Without a cap, four such lookups at once (a DNS provider's outage hits
// many partners together) would leave no thread for any signature, and every /me would wait on DNS.

export interface Slots {
  /**
   * Runs `task` once fewer than the cap are running; until then it waits its turn. A caller whose `signal`
   * aborts while it waits is dropped (rejected with the signal's reason) without `task` ever running.
   */
  run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T>
}

export function createSlots(size: number): Slots {
  let running = 0
  const waiting: Array<() => void> = []

  function release(): void {
    running--
    waiting.shift()?.()
  }

  return {
    run(task, signal) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        const start = () => {
          signal.removeEventListener('abort', giveUp)
          running++
          // Through a promise, so a task that throws synchronously still frees its slot.
          Promise.resolve().then(task).then(resolve, reject).finally(release)
        }
        function giveUp(): void {
          waiting.splice(waiting.indexOf(start), 1)
          reject(signal.reason)
        }
        if (running < size) return start()
        waiting.push(start)
        signal.addEventListener('abort', giveUp, { once: true })
      })
    },
  }
}
