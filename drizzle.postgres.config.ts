// drizzle-kit configuration of the PostgreSQL store: `npm run db:generate` writes both stores' migrations.
import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/storage/postgres/schema.ts',
  out: './migrations/postgres',
})
