// Peer: Express + express-jwt + jwks-rsa, set up the way both READMEs recommend (cached, rate-limited JWKS client).
import express, { type NextFunction, type Request, type Response } from 'express'
import { expressjwt, type GetVerificationKey, type Request as JwtRequest } from 'express-jwt'
import jwksRsa from 'jwks-rsa'

const app = express()
app.get('/healthz', (_req, res) => {
  res.json({ ok: true })
})
app.get(
  '/me',
  expressjwt({
    secret: jwksRsa.expressJwtSecret({ cache: true, rateLimit: true, jwksRequestsPerMinute: 5, jwksUri: process.env.JWKS_URL! }) as GetVerificationKey,
    issuer: process.env.ISSUER!,
    audience: process.env.AUDIENCE!,
    algorithms: ['RS256'],
  }),
  (req: JwtRequest, res: Response) => {
    res.json({ sub: req.auth?.sub, iss: req.auth?.iss })
  },
)
app.use((err: Error, _req: Request, res: Response, next: NextFunction) => {
  if (err.name === 'UnauthorizedError') res.status(401).json({ error: 'invalid_token' })
  else next(err)
})
const server = app.listen(Number(process.env.PORT), '127.0.0.1')
process.once('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
