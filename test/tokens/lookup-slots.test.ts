// The cap on concurrent host lookups: at most `size` run, the rest wait in order, and a waiter whose
// deadline passes is dropped without ever running.
import t from 'tap'
import { createSlots } from '../../src/tokens/lookup-slots.js'

/** A task that runs only when asked to finish, recording that it started. */
function deferredTask(started: string[], name: string) {
  let finish!: (value: string) => void
  let fail!: (err: Error) => void
  const task = () => {
    started.push(name)
    return new Promise<string>((resolve, reject) => {
      finish = resolve
      fail = reject
    })
  }
  return { task, finish: () => finish(name), fail: (err: Error) => fail(err) }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))
const never = () => new AbortController().signal

t.test('at most `size` tasks run at once; the others start in order as slots free', async (tt) => {
  const slots = createSlots(2)
  const started: string[] = []
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => deferredTask(started, name))
  const results = [a!, b!, c!, d!].map(({ task }) => slots.run(task, never()))
  await tick()
  tt.same(started, ['a', 'b'], 'two run, two wait')
  b!.finish()
  tt.equal(await results[1], 'b', 'a task answers with its own result')
  await tick()
  tt.same(started, ['a', 'b', 'c'], 'the first waiter takes the freed slot')
  a!.fail(new Error('lookup failed'))
  await tt.rejects(results[0]!, { message: 'lookup failed' }, 'a failed task rejects with its error')
  await tick()
  tt.same(started, ['a', 'b', 'c', 'd'], 'and frees its slot too')
  c!.finish()
  d!.finish()
  tt.same(await Promise.all(results.slice(2)), ['c', 'd'])
})

t.test('a task that throws synchronously rejects and frees its slot', async (tt) => {
  const slots = createSlots(1)
  await tt.rejects(
    slots.run(() => {
      throw new Error('bad input')
    }, never()),
    { message: 'bad input' },
  )
  tt.equal(await slots.run(async () => 'next', never()), 'next', 'the only slot is free again')
})

t.test('a waiter whose signal aborts is rejected with its reason and never runs', async (tt) => {
  const slots = createSlots(1)
  const started: string[] = []
  const a = deferredTask(started, 'a')
  const b = deferredTask(started, 'b')
  const c = deferredTask(started, 'c')
  const first = slots.run(a.task, never())
  const deadline = new AbortController()
  const second = slots.run(b.task, deadline.signal)
  const third = slots.run(c.task, never())
  deadline.abort(new Error('deadline passed'))
  await tt.rejects(second, { message: 'deadline passed' })
  a.finish()
  await first
  await tick()
  tt.same(started, ['a', 'c'], 'the aborted waiter left the queue; the next one ran in its place')
  c.finish()
  tt.equal(await third, 'c')
})

t.test('a signal already aborted is refused at once, even with a slot free', async (tt) => {
  const slots = createSlots(1)
  const started: string[] = []
  await tt.rejects(slots.run(deferredTask(started, 'a').task, AbortSignal.abort(new Error('too late'))), { message: 'too late' })
  tt.same(started, [])
})

t.test('a running task is not cut short by its signal: its slot stays taken until it settles', async (tt) => {
  const slots = createSlots(1)
  const started: string[] = []
  const a = deferredTask(started, 'a')
  const b = deferredTask(started, 'b')
  const deadline = new AbortController()
  const first = slots.run(a.task, deadline.signal)
  const second = slots.run(b.task, never())
  await tick()
  deadline.abort(new Error('deadline passed'))
  await tick()
  tt.same(started, ['a'], 'getaddrinfo cannot be cancelled, so its thread counts as busy until it returns')
  a.finish()
  tt.equal(await first, 'a')
  await tick()
  tt.same(started, ['a', 'b'])
  b.finish()
  await second
})
