// A real OpenID Connect provider (the `oidc-provider` package) shaped like ProConnect, for the
// ProConnect tests: same scopes and claims, eIDAS acr values, signed ID token and userinfo,
// RP-initiated logout. Started on 127.0.0.1 by tests/oidc_provider.py, one process per test session.
//
// Who signs in is chosen by the test through POST /test/next (what a person would type on the
// provider's login page); everything else is the library's own protocol code.
//
// Usage: node provider.mjs <port> <redirect_uri,...> <post_logout_redirect_uri,...>
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

import Provider, { interactionPolicy } from 'oidc-provider';

const [port, redirectUri, postLogoutUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

function rsaJwk(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
}
const signingKey = rsaJwk('provider-key');
// A key pair the provider does not sign with: the tests point the client at it to prove that a
// token signed by any other key is refused.
const otherKey = rsaJwk('provider-key');
const publicOf = ({ kty, n, e, kid, use, alg }) => ({ kty, n, e, kid, use, alg });

const accounts = new Map();
const state = { next: null, codeTtl: 60 };

// ProConnect forwards a weaker acr than requested while identity providers migrate to
// multi-factor authentication: the client must check it. Do the same (no re-prompt loop).
const policy = interactionPolicy.base();
policy.get('login').checks.remove('essential_acrs');
policy.get('login').checks.remove('essential_acr');

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'cmer-test',
      client_secret: 'cmer-test-secret-0123456789abcdef0123456789',
      redirect_uris: redirectUri.split(','),
      post_logout_redirect_uris: postLogoutUri.split(','),
      response_types: ['code'],
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: 'RS256',
      userinfo_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  acrValues: ['eidas1', 'eidas1-mfa', 'eidas2', 'eidas3'],
  scopes: ['openid', 'email', 'given_name', 'usual_name', 'siret', 'idp_id'],
  claims: {
    openid: ['sub'],
    email: ['email'],
    given_name: ['given_name'],
    usual_name: ['usual_name'],
    siret: ['siret'],
    idp_id: ['idp_id'],
  },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  // ProConnect refuses any parameter it does not know, PKCE included.
  pkce: { required: () => false },
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AuthorizationCode: () => state.codeTtl },
  async findAccount(ctx, id) {
    const claims = accounts.get(id);
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
});

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  let result;
  if (prompt.name === 'login') {
    const next = state.next;
    if (!next) {
      result = { error: 'access_denied', error_description: 'no test identity chosen' };
    } else {
      result = { login: { accountId: next.sub, acr: next.acr, amr: ['pwd', 'mfa'] } };
    }
  } else {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    result = { consent: { grantId: await grant.save() } };
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => { try { resolve(JSON.parse(body || '{}')); } catch (e) { reject(e); } });
  });
}

function send(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

const handle = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    if (req.url.startsWith('/interaction/')) return await interaction(req, res);
    if (req.url === '/test/next' && req.method === 'POST') {
      // {sub, acr, claims: {email, given_name, usual_name, siret, idp_id}}
      const next = await readJson(req);
      accounts.set(next.sub, next.claims);
      state.next = { sub: next.sub, acr: next.acr };
      return send(res, 200, { ok: true });
    }
    if (req.url === '/test/code-ttl' && req.method === 'POST') {
      state.codeTtl = (await readJson(req)).seconds;
      return send(res, 200, { ok: true });
    }
    if (req.url === '/test/other-jwks') return send(res, 200, { keys: [publicOf(otherKey)] });
    return handle(req, res);
  } catch (error) {
    return send(res, 500, { error: String(error) });
  }
});
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
