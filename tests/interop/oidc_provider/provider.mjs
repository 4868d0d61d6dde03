// The OpenID provider the SSO tests sign in through: oidc-provider (OpenID Certified) on
// loopback, with test users and groups. TEST ONLY.
//
//   node provider.mjs CONFIG.json     CONFIG: {port, clients: [...], users: {id: {claims}}}
//
// Test users sign in on the provider's development login page (any password; the login names a
// configured user). A client's "tamper" field makes this provider answer that client's token
// requests with a deliberately bad ID token, for the relying party's negative tests:
//   "bad-signature"  signed by a key that is not in the JWKS (same kid)
//   "wrong-issuer"   validly signed, iss names another issuer
//   "expired"        validly signed, exp ten minutes in the past
// POST /_test/users/<id> with a JSON object replaces that user's claims (group changes).
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;
const users = config.users;

const keyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...keyPair.privateKey.export({ format: 'jwk' }), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
const strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

const tamperOf = Object.fromEntries(config.clients.filter((c) => c.tamper).map((c) => [c.client_id, c.tamper]));

const provider = new Provider(issuer, {
  clients: config.clients.map(({ tamper, ...client }) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...client,
  })),
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['oidc test provider cookie key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    hospital: ['groups', 'profession', 'institution'],
  },
  // Put the scopes' claims in the ID token too (as Keycloak and Entra ID do with their mappers).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  findAccount: async (ctx, id) => (users[id]
    ? { accountId: id, claims: async () => ({ sub: id, ...users[id] }) }
    : undefined),
  // First-party clients: no consent screen, every requested scope is granted.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile hospital');
    await grant.save();
    return grant;
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><title>Provider error</title><pre id="op-error">${JSON.stringify(out)}</pre>`;
  },
});

function b64url(value) {
  return Buffer.from(value).toString('base64url');
}

function tampered(idToken, mode) {
  const [header, payload] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'wrong-issuer') claims.iss = 'http://127.0.0.1:9/not-the-issuer';
  if (mode === 'expired') Object.assign(claims, { iat: now - 4200, exp: now - 600 });
  const input = `${header}.${b64url(JSON.stringify(claims))}`;
  const key = mode === 'bad-signature' ? strangerKey : createPrivateKey({ key: signingJwk, format: 'jwk' });
  return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/_test\/users\/([\w.-]+)$/);
  if (match && ctx.method === 'POST') {
    let body = '';
    for await (const chunk of ctx.req) body += chunk;
    users[match[1]] = JSON.parse(body);
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
    const mode = tamperOf[ctx.oidc?.client?.clientId];
    if (mode) ctx.body = { ...ctx.body, id_token: tampered(ctx.body.id_token, mode) };
  }
});

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc test provider listening at ${issuer}`);
});
