// A certified OpenID provider (npm oidc-provider) that requires PKCE, for wijknet's login
// tests. Started by tests/platform/identity/test_login_pkce.py on loopback; stops with it.
// Environment: PORT, ISSUER (default http://127.0.0.1:PORT), REDIRECT_URI,
// ID_TOKEN_TTL (seconds), CLOCK_OFFSET (seconds added to this process's clock, to issue
// tokens that are already expired).
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const offset = Number(process.env.CLOCK_OFFSET || 0) * 1000;
if (offset) {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + offset;
}
const issuer = process.env.ISSUER || `http://127.0.0.1:${port}`;
const people = {
  // One address per provider run: each run is another issuer, and we never link by email.
  alice: { sub: "alice", email: `alice.${port}@example.org`, email_verified: true, name: "Alice PKCE" },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: "wijknet",
    client_secret: "wijknet-secret",
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ["authorization_code"],
    response_types: ["code"],
  }],
  pkce: { required: () => true },
  conformIdTokenClaims: false, // put email and name in the ID token, as most providers do
  ttl: { IdToken: Number(process.env.ID_TOKEN_TTL || 3600) },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  findAccount: (ctx, id) => people[id] && { accountId: id, claims: () => people[id] },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["wijknet-test-only-cookie-key"] },
});
provider.proxy = false;
const server = provider.listen(port, "127.0.0.1", () => console.log(`ready ${issuer}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
