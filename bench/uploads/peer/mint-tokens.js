// Prints N HS256 tokens, one a line, for users bench-user-0 … bench-user-(N-1) on a plan, signed with
// JWT_SECRET (its UTF-8 bytes, as Stowage verifies them), valid 2 hours.
// usage: JWT_SECRET=… node mint-tokens.js N [plan]
import { SignJWT } from 'jose';

const n = Number(process.argv[2] ?? '500');
const plan = process.argv[3] ?? 'pro';
const key = new TextEncoder().encode(process.env.JWT_SECRET);
const out = [];
for (let i = 0; i < n; i++) {
  out.push(await new SignJWT({ plan, roles: [] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(`bench-user-${i}`)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(key));
}
process.stdout.write(out.join('\n') + '\n');
