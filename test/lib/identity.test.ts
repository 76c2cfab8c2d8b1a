import { createPrivateKey } from "node:crypto";
import { SignJWT } from "jose";
import { IDENTITY_ISSUER, IdentityError, createIdentitySigner, createIdentityVerifier, generateIdentityKeyPair, type Identity } from "../../lib/auth/identity";
import { Role } from "../../lib/auth/roles";

const keys = generateIdentityKeyPair();
const caller: Identity = { sub: "user-1", tenant: "acme", role: Role.AGENT, scopes: [] };

describe("identity tokens", () => {
  it("reuses a token for the same caller and subgraph, and signs another for anyone or anything else", async () => {
    const signer = createIdentitySigner(keys.privateKeyPem);
    const first = await signer.sign(caller, "leads");
    expect(await signer.sign({ ...caller }, "leads")).toBe(first);
    expect(await signer.sign(caller, "intelligence")).not.toBe(first);
    expect(await signer.sign({ ...caller, role: Role.ADMIN }, "leads")).not.toBe(first);
    expect(await signer.sign({ ...caller, tenant: "other" }, "leads")).not.toBe(first);
    await expect(createIdentityVerifier(keys.publicKeyPem, "leads").verify(first)).resolves.toEqual(caller);
  });

  it("refuses a token it verified once as soon as it expires", async () => {
    const verifier = createIdentityVerifier(keys.publicKeyPem, "leads");
    const expiresAt = Math.floor(Date.now() / 1000) + 1;
    const token = await new SignJWT({ tenant: caller.tenant, role: caller.role, scope: "" })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT" })
      .setIssuer(IDENTITY_ISSUER)
      .setAudience("leads")
      .setSubject(caller.sub)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(createPrivateKey(keys.privateKeyPem));
    await expect(verifier.verify(token)).resolves.toEqual(caller);
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(IdentityError);
  });

  it("refuses a token signed by another key, or addressed to another subgraph", async () => {
    const verifier = createIdentityVerifier(keys.publicKeyPem, "leads");
    const stranger = createIdentitySigner(generateIdentityKeyPair().privateKeyPem);
    await expect(verifier.verify(await stranger.sign(caller, "leads"))).rejects.toBeInstanceOf(IdentityError);
    const ours = createIdentitySigner(keys.privateKeyPem);
    await expect(verifier.verify(await ours.sign(caller, "billing"))).rejects.toBeInstanceOf(IdentityError);
  });
});
