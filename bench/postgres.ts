// A throw-away PostgreSQL schema for the pg-two-instances scenario, on the machine's local server by default.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

const BASE_URL = process.env.GATEHOUSE_BENCH_POSTGRES_URL || process.env.GATEHOUSE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test'

export interface BenchSchema {
  /** DATABASE_URL for Gatehouse, with the schema as its search_path. */
  url: string
  drop(): Promise<void>
}

async function run(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: BASE_URL, connectionTimeoutMillis: 3000 })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

export async function createBenchSchema(): Promise<BenchSchema> {
  const name = `gatehouse_bench_${randomBytes(4).toString('hex')}`
  await run(`create schema ${name}`)
  const url = new URL(BASE_URL)
  url.searchParams.set('options', `-c search_path=${name}`)
  return { url: url.toString(), drop: () => run(`drop schema if exists ${name} cascade`) }
}
