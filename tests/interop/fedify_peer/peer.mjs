// Fedify-based ActivityPub peer for fediverse-cases interop tests.
//
// Run with the Node 22 that npm installs locally (Fedify 2.x needs Node >= 22):
//   node_modules/node/bin/node peer.mjs --port 18081
// See README.md for the control API.
//
// TEST ONLY: allowPrivateAddress is on, the control API has no auth, keys are
// generated at start and live in memory.  Bind to loopback only.

import http from "node:http";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { AsyncLocalStorage } from "node:async_hooks";

// ---------------------------------------------------------------- options --

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "first-knock": { type: "string" },
    log: { type: "string" },
  },
  allowPositionals: true,
  strict: false,
});

const PORT = Number(args.port ?? process.env.FEDIFY_PEER_PORT ?? process.env.PORT ?? 18081);
const HOST = args.host ?? process.env.FEDIFY_PEER_HOST ?? "127.0.0.1";
const BASE = `http://${HOST}:${PORT}`;
const FIRST_KNOCK = args["first-knock"] ?? process.env.FEDIFY_PEER_FIRST_KNOCK ?? "rfc9421";
const LOG_LEVEL = args.log ?? process.env.FEDIFY_PEER_LOG ?? "info";
const IDENTIFIER = "peer";

if (!["rfc9421", "draft-cavage-http-signatures-12"].includes(FIRST_KNOCK)) {
  console.error(`FEDIFY_PEER_FIRST_KNOCK must be rfc9421 or draft-cavage-http-signatures-12, got ${FIRST_KNOCK}`);
  process.exit(2);
}
if (!Number.isInteger(PORT) || PORT <= 0 || PORT > 65535) {
  console.error(`invalid port ${PORT}`);
  process.exit(2);
}

// ------------------------------------------------------------- in-memory --

const state = {
  inbox: [], // accepted (verified and routed) incoming activities
  rejections: [], // inbox POSTs Fedify answered with 401 (signature not verified)
  sent: [], // outgoing HTTP requests as seen on the wire (global fetch wrapper)
  following: new Map(), // actor id -> {actor, inbox, followId, state, ...}
  followers: new Map(), // actor id -> {actor, inbox, sharedInbox, followId}
  notes: new Map(), // local note uuid -> Note (served at /users/peer/notes/{id})
  activities: new Map(), // local activity uuid -> Activity (served at /users/peer/activities/{id})
};

// ----------------------------------------------------- wire helpers / log --

function signatureInfo(headers) {
  // headers: a Headers object
  const sigInput = headers.get("signature-input");
  const sig = headers.get("signature");
  if (sigInput) {
    const m = /keyid="([^"]*)"/i.exec(sigInput);
    return { scheme: "rfc9421", keyId: m ? m[1] : null, signatureInput: sigInput };
  }
  if (sig) {
    const m = /keyId="([^"]*)"/i.exec(sig);
    const a = /algorithm="([^"]*)"/i.exec(sig);
    const h = /headers="([^"]*)"/i.exec(sig);
    return {
      scheme: "draft-cavage-http-signatures-12",
      keyId: m ? m[1] : null,
      algorithm: a ? a[1] : null,
      headers: h ? h[1] : null,
    };
  }
  return { scheme: null, keyId: null };
}

function proofInfo(json) {
  if (json == null || typeof json !== "object") return null;
  const p = json.proof;
  if (p == null) return null;
  const proofs = Array.isArray(p) ? p : [p];
  return proofs.map((x) => ({
    type: x?.type ?? null,
    cryptosuite: x?.cryptosuite ?? null,
    verificationMethod: x?.verificationMethod ?? null,
    proofPurpose: x?.proofPurpose ?? null,
  }));
}

function ldSignatureInfo(json) {
  if (json == null || typeof json !== "object" || json.signature == null) return null;
  return { type: json.signature.type ?? null, creator: json.signature.creator ?? null };
}

function headersToObject(headers) {
  const o = {};
  for (const [k, v] of headers) o[k] = v;
  return o;
}

// Wrap global fetch so every outgoing request (deliveries, lookups, key
// fetches) is recorded as it appears on the wire.  Must happen before Fedify
// is imported.
const originalFetch = globalThis.fetch;
globalThis.fetch = async function loggedFetch(input, init) {
  const req = new Request(input, init);
  let bodyJson = null;
  if (req.method === "POST") {
    try {
      bodyJson = JSON.parse(await req.clone().text());
    } catch {
      bodyJson = null;
    }
  }
  const entry = {
    at: new Date().toISOString(),
    method: req.method,
    url: req.url,
    accept: req.headers.get("accept"),
    signature: signatureInfo(req.headers),
    proof: proofInfo(bodyJson),
    activityType: bodyJson?.type ?? null,
    activityId: bodyJson?.id ?? null,
    status: null,
    error: null,
  };
  state.sent.push(entry);
  try {
    const res = await originalFetch(req);
    entry.status = res.status;
    return res;
  } catch (e) {
    entry.error = String(e?.message ?? e);
    throw e;
  }
};

const { configure, getConsoleSink } = await import("@logtape/logtape");
await configure({
  sinks: { console: getConsoleSink() },
  contextLocalStorage: new AsyncLocalStorage(),
  loggers: [
    { category: "fedify", lowestLevel: LOG_LEVEL, sinks: ["console"] },
    { category: "fedify-peer", lowestLevel: LOG_LEVEL, sinks: ["console"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
  ],
});

const {
  createFederation,
  MemoryKvStore,
  InProcessMessageQueue,
  generateCryptoKeyPair,
  verifyRequestDetailed,
} = await import("@fedify/fedify");
const vocab = await import("@fedify/vocab");
const { Temporal } = await import("@js-temporal/polyfill");
const {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  Like,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Undo,
  Update,
  isActor,
} = vocab;

// ----------------------------------------------------------------- keys --

const rsaKeyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const ed25519KeyPair = await generateCryptoKeyPair("Ed25519");
const keyPairs = [rsaKeyPair, ed25519KeyPair]; // RSA first: used for HTTP signatures

// ----------------------------------------------------------- federation --

const useQueue = (process.env.FEDIFY_PEER_QUEUE ?? "none") === "memory";

const federation = createFederation({
  kv: new MemoryKvStore(),
  queue: useQueue ? new InProcessMessageQueue() : undefined,
  origin: BASE,
  allowPrivateAddress: true, // loopback peers; TEST ONLY
  firstKnock: FIRST_KNOCK,
  circuitBreaker: false,
  userAgent: { software: "fediverse-cases-fedify-peer/0.1" },
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify interop peer",
      summary: "Test peer built on Fedify (fediverse-cases interop tests)",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      manuallyApprovesFollowers: false,
      discoverable: true,
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => {
    if (identifier !== IDENTIFIER) return [];
    return keyPairs;
  })
  .mapHandle((_ctx, username) => (username === IDENTIFIER ? IDENTIFIER : null));

federation.setNodeInfoDispatcher("/nodeinfo/2.1", () => ({
  software: { name: "fedify-interop-peer", version: "0.1.0" },
  protocols: ["activitypub"],
  openRegistrations: false,
  usage: { users: { total: 1, activeMonth: 1, activeHalfyear: 1 }, localPosts: state.notes.size, localComments: 0 },
}));

federation.setFollowersDispatcher("/users/{identifier}/followers", async (_ctx, identifier) => {
  if (identifier !== IDENTIFIER) return null;
  const items = [...state.followers.values()].map((f) => ({
    id: new URL(f.actor),
    inboxId: f.inbox ? new URL(f.inbox) : null,
    endpoints: f.sharedInbox ? { sharedInbox: new URL(f.sharedInbox) } : null,
  }));
  return { items };
}).setCounter((_ctx, identifier) => (identifier === IDENTIFIER ? state.followers.size : null));

federation.setFollowingDispatcher("/users/{identifier}/following", async (_ctx, identifier) => {
  if (identifier !== IDENTIFIER) return null;
  const items = [...state.following.values()]
    .filter((f) => f.state === "accepted")
    .map((f) => new URL(f.actor));
  return { items };
}).setCounter((_ctx, identifier) =>
  identifier === IDENTIFIER ? [...state.following.values()].filter((f) => f.state === "accepted").length : null
);

federation.setOutboxDispatcher("/users/{identifier}/outbox", async (_ctx, identifier) => {
  if (identifier !== IDENTIFIER) return null;
  return { items: [...state.activities.values()].filter((a) => a instanceof Create) };
}).setCounter((_ctx, identifier) => (identifier === IDENTIFIER ? [...state.activities.values()].filter((a) => a instanceof Create).length : null));

federation.setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", (_ctx, values) => {
  if (values.identifier !== IDENTIFIER) return null;
  return state.notes.get(values.id) ?? null;
});

for (const cls of [Create, Follow, Accept, Like, Undo]) {
  federation.setObjectDispatcher(cls, `/users/{identifier}/${cls.name.toLowerCase()}/{id}`, (_ctx, values) => {
    if (values.identifier !== IDENTIFIER) return null;
    const a = state.activities.get(values.id);
    return a instanceof cls ? a : null;
  });
}

function newId(ctx, cls) {
  const id = randomUUID();
  return { uuid: id, uri: ctx.getObjectUri(cls, { identifier: IDENTIFIER, id }) };
}

// Record an accepted activity.  ctx.data is the per-request metadata built by
// the HTTP layer (no queue => listeners run inside the inbox request).
async function record(ctx, activity, extra = {}) {
  const meta = ctx.data ?? {};
  const entry = {
    receivedAt: meta.receivedAt ?? new Date().toISOString(),
    path: meta.path ?? null,
    recipient: ctx.recipient ?? null, // null => shared inbox
    type: meta.json?.type ?? activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    objectType: (meta.json && typeof meta.json.object === "object" && meta.json.object !== null) ? meta.json.object.type ?? null : null,
    // Raw JSON exactly as POSTed by the sender (what Fedify accepted).
    activity: meta.json ?? (await activity.toJsonLd({ format: "compact" })),
    verifiedBy: meta.verifiedBy ?? null,
    ...extra,
  };
  state.inbox.push(entry);
  (meta.entries ??= []).push(entry);
  return entry;
}

async function actorInfo(ctx, actor) {
  // actor: vocab Actor object
  return {
    actor: actor.id?.href,
    inbox: actor.inboxId?.href ?? null,
    sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
    preferredUsername: actor.preferredUsername?.toString() ?? null,
  };
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    const entry = await record(ctx, follow);
    const me = ctx.getActorUri(IDENTIFIER);
    if (follow.objectId?.href !== me.href || follow.id == null || follow.actorId == null) {
      entry.note = "not a follow of the local actor; ignored";
      return;
    }
    const follower = await follow.getActor(ctx);
    if (follower == null || !isActor(follower)) {
      entry.note = "could not dereference follower";
      return;
    }
    const info = await actorInfo(ctx, follower);
    state.followers.set(follower.id.href, { ...info, followId: follow.id.href });
    const { uuid, uri } = newId(ctx, Accept);
    const accept = new Accept({ id: uri, actor: me, object: follow, to: follower.id });
    state.activities.set(uuid, accept);
    await ctx.sendActivity({ identifier: IDENTIFIER }, follower, accept);
    entry.autoAccepted = uri.href;
  })
  .on(Accept, async (ctx, accept) => {
    const entry = await record(ctx, accept);
    const objectId = accept.objectId?.href ?? (ctx.data?.json?.object?.id ?? null);
    for (const f of state.following.values()) {
      if ((objectId != null && f.followId === objectId) ||
          (objectId == null && f.actor === accept.actorId?.href)) {
        f.state = "accepted";
        f.acceptId = accept.id?.href ?? null;
        f.acceptedAt = new Date().toISOString();
        entry.matchedFollow = f.followId;
      }
    }
  })
  .on(Reject, async (ctx, reject) => {
    const entry = await record(ctx, reject);
    const objectId = reject.objectId?.href ?? (ctx.data?.json?.object?.id ?? null);
    for (const f of state.following.values()) {
      if (f.followId === objectId || (objectId == null && f.actor === reject.actorId?.href)) {
        f.state = "rejected";
        entry.matchedFollow = f.followId;
      }
    }
  })
  .on(Undo, async (ctx, undo) => {
    const entry = await record(ctx, undo);
    const obj = ctx.data?.json?.object;
    const objType = typeof obj === "object" && obj !== null ? obj.type : null;
    if (objType === "Follow" && undo.actorId != null) {
      state.followers.delete(undo.actorId.href);
      entry.note = "follower removed";
    }
  })
  .on(Create, async (ctx, a) => { await record(ctx, a); })
  .on(Update, async (ctx, a) => { await record(ctx, a); })
  .on(Delete, async (ctx, a) => { await record(ctx, a); })
  .on(Like, async (ctx, a) => { await record(ctx, a); })
  .on(Announce, async (ctx, a) => { await record(ctx, a); })
  .on(Activity, async (ctx, a) => { await record(ctx, a); }) // catch-all
  .onError((ctx, error) => {
    console.error(`[fedify-peer] inbox listener error: ${error?.stack ?? error}`);
    const meta = ctx.data;
    if (meta) meta.listenerError = String(error?.message ?? error);
  });

// ----------------------------------------------------------- control API --

function json(res, status, body) {
  const data = JSON.stringify(body, null, 2);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(data);
}

async function lookupActor(ctx, url) {
  const obj = await ctx.lookupObject(url);
  if (obj == null) throw new HttpError(502, `could not look up ${url}`);
  if (!isActor(obj)) throw new HttpError(422, `${url} is not an actor (got ${obj.constructor.name})`);
  if (obj.inboxId == null) throw new HttpError(422, `actor ${url} has no inbox`);
  return obj;
}

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function requireString(body, key) {
  const v = body?.[key];
  if (typeof v !== "string" || v === "") throw new HttpError(400, `"${key}" (string) is required`);
  return v;
}

function sentSince(mark) {
  return state.sent.slice(mark).filter((e) => e.method === "POST");
}

const control = {
  "GET /_control/health": async () => ({
    ok: true,
    actor: `${BASE}/users/${IDENTIFIER}`,
    base: BASE,
    firstKnock: FIRST_KNOCK,
    queue: useQueue ? "memory" : "none",
    node: process.version,
  }),
  "GET /_control/inbox": async () => state.inbox,
  "GET /_control/rejections": async () => ({ count: state.rejections.length, rejections: state.rejections }),
  "GET /_control/sent": async () => state.sent,
  "GET /_control/following": async () => [...state.following.values()],
  "GET /_control/followers": async () => [...state.followers.values()],
  "POST /_control/reset": async () => {
    state.inbox.length = 0;
    state.rejections.length = 0;
    state.sent.length = 0;
    return { ok: true };
  },
  "POST /_control/follow": async (ctx, body) => {
    const target = await lookupActor(ctx, requireString(body, "actor"));
    const { uuid, uri } = newId(ctx, Follow);
    const follow = new Follow({
      id: uri,
      actor: ctx.getActorUri(IDENTIFIER),
      object: target.id,
      to: target.id,
    });
    state.activities.set(uuid, follow);
    const rec = {
      actor: target.id.href,
      inbox: target.inboxId.href,
      followId: uri.href,
      state: "pending",
      requestedAt: new Date().toISOString(),
    };
    // Set before sending: without a queue the Accept may arrive while we wait.
    state.following.set(target.id.href, rec);
    const mark = state.sent.length;
    await ctx.sendActivity({ identifier: IDENTIFIER }, target, follow, { immediate: true });
    return { id: uri.href, followId: uri.href, state: rec.state, deliveries: sentSince(mark) };
  },
  "POST /_control/unfollow": async (ctx, body) => {
    const actorUrl = requireString(body, "actor");
    const rec = state.following.get(actorUrl);
    if (rec == null) throw new HttpError(404, `not following ${actorUrl}`);
    const target = await lookupActor(ctx, actorUrl);
    const follow = new Follow({ id: new URL(rec.followId), actor: ctx.getActorUri(IDENTIFIER), object: target.id });
    const { uuid, uri } = newId(ctx, Undo);
    const undo = new Undo({ id: uri, actor: ctx.getActorUri(IDENTIFIER), object: follow, to: target.id });
    state.activities.set(uuid, undo);
    const mark = state.sent.length;
    await ctx.sendActivity({ identifier: IDENTIFIER }, target, undo, { immediate: true });
    state.following.delete(actorUrl);
    return { id: uri.href, deliveries: sentSince(mark) };
  },
  "POST /_control/reply": async (ctx, body) => {
    const inReplyTo = requireString(body, "inReplyTo");
    const content = requireString(body, "content");
    let to = body.to ?? [];
    if (typeof to === "string") to = [to];
    if (!Array.isArray(to) || to.length === 0 || !to.every((x) => typeof x === "string")) {
      throw new HttpError(400, `"to" must be a non-empty list of actor URLs`);
    }
    const recipients = [];
    for (const url of to) recipients.push(await lookupActor(ctx, url));
    const me = ctx.getActorUri(IDENTIFIER);
    const noteUuid = randomUUID();
    const noteUri = ctx.getObjectUri(Note, { identifier: IDENTIFIER, id: noteUuid });
    const mentions = recipients.map((a) => {
      const user = a.preferredUsername?.toString();
      return new Mention({
        href: a.id,
        name: user ? `@${user}@${a.id.host}` : a.id.href,
      });
    });
    const published = Temporal.Now.instant();
    const note = new Note({
      id: noteUri,
      attribution: me,
      content,
      replyTarget: new URL(inReplyTo),
      tos: recipients.map((a) => a.id),
      ccs: [PUBLIC_COLLECTION, ctx.getFollowersUri(IDENTIFIER)],
      tags: mentions,
      url: noteUri,
      published,
    });
    state.notes.set(noteUuid, note);
    const { uuid, uri } = newId(ctx, Create);
    const create = new Create({
      id: uri,
      actor: me,
      object: note,
      tos: recipients.map((a) => a.id),
      ccs: [PUBLIC_COLLECTION, ctx.getFollowersUri(IDENTIFIER)],
      published,
    });
    state.activities.set(uuid, create);
    const mark = state.sent.length;
    await ctx.sendActivity({ identifier: IDENTIFIER }, recipients, create, { immediate: true });
    return { id: noteUri.href, noteId: noteUri.href, createId: uri.href, deliveries: sentSince(mark) };
  },
  "POST /_control/like": async (ctx, body) => {
    const object = requireString(body, "object");
    const target = await lookupActor(ctx, requireString(body, "actor"));
    const { uuid, uri } = newId(ctx, Like);
    const like = new Like({ id: uri, actor: ctx.getActorUri(IDENTIFIER), object: new URL(object), to: target.id });
    state.activities.set(uuid, like);
    const mark = state.sent.length;
    await ctx.sendActivity({ identifier: IDENTIFIER }, target, like, { immediate: true });
    return { id: uri.href, deliveries: sentSince(mark) };
  },
};

async function handleControl(req, res, url, rawBody) {
  const handler = control[`${req.method} ${url.pathname.replace(/\/$/, "")}`];
  if (handler == null) return json(res, 404, { error: `no such control endpoint: ${req.method} ${url.pathname}` });
  let body = null;
  if (req.method === "POST" && rawBody.length > 0) {
    try {
      body = JSON.parse(rawBody.toString("utf8"));
    } catch {
      return json(res, 400, { error: "body must be JSON" });
    }
  }
  const ctx = federation.createContext(new URL(BASE), {});
  try {
    json(res, 200, await handler(ctx, body ?? {}));
  } catch (e) {
    const status = e instanceof HttpError ? e.status : 502;
    console.error(`[fedify-peer] control ${req.method} ${url.pathname} failed: ${e?.stack ?? e}`);
    json(res, status, { error: String(e?.message ?? e), name: e?.name ?? null });
  }
}

// ------------------------------------------------------------ HTTP server --

const INBOX_PATH = new RegExp(`^/(users/[^/]+/)?inbox/?$`);

async function verifyIndependently(request) {
  // Fedify skips HTTP signature verification when an Object Integrity Proof
  // (or LD signature) verifies, so check the HTTP signature on our own too.
  try {
    const ctx = federation.createContext(new URL(BASE), {});
    const r = await verifyRequestDetailed(request, {
      documentLoader: ctx.documentLoader,
      contextLoader: ctx.contextLoader,
    });
    if (r.verified) return { verified: true, keyId: r.key.id?.href ?? null, owner: r.key.ownerId?.href ?? null };
    return {
      verified: false,
      reason: r.reason.type,
      keyId: "keyId" in r.reason ? r.reason.keyId?.href ?? null : null,
    };
  } catch (e) {
    return { verified: false, reason: "error", error: String(e?.message ?? e) };
  }
}

const server = http.createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const rawBody = Buffer.concat(chunks);
    // Use the Host header the client used: RFC 9421 signs @authority/@target-uri.
    const url = new URL(req.url, `http://${req.headers.host ?? `${HOST}:${PORT}`}`);

    if (url.pathname.startsWith("/_control/")) return await handleControl(req, res, url, rawBody);

    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (Array.isArray(v)) for (const x of v) headers.append(k, x);
      else if (v != null) headers.set(k, v);
    }
    const hasBody = !["GET", "HEAD"].includes(req.method) && rawBody.length > 0;
    const makeRequest = () => new Request(url, { method: req.method, headers, body: hasBody ? rawBody : undefined });

    const meta = { receivedAt: new Date().toISOString(), path: url.pathname };
    const isInboxPost = req.method === "POST" && INBOX_PATH.test(url.pathname);
    if (isInboxPost) {
      try {
        meta.json = JSON.parse(rawBody.toString("utf8"));
      } catch {
        meta.json = null;
      }
      const sig = signatureInfo(headers);
      meta.verifiedBy = {
        httpSignature: { ...sig, ...(sig.scheme ? await verifyIndependently(makeRequest()) : { verified: false, reason: "noSignature" }) },
        integrityProof: proofInfo(meta.json),
        ldSignature: ldSignatureInfo(meta.json),
      };
    }

    const response = await federation.fetch(makeRequest(), {
      contextData: meta,
      onNotFound: () => new Response("Not found", { status: 404 }),
      onNotAcceptable: () => new Response("Not acceptable", { status: 406 }),
    });

    const out = Buffer.from(await response.arrayBuffer());
    if (isInboxPost) {
      meta.status = response.status;
      if (response.status === 401 || response.status === 403) {
        state.rejections.push({
          receivedAt: meta.receivedAt,
          path: url.pathname,
          status: response.status,
          reason: out.toString("utf8").slice(0, 500),
          type: meta.json?.type ?? null,
          id: meta.json?.id ?? null,
          actor: typeof meta.json?.actor === "string" ? meta.json.actor : meta.json?.actor?.id ?? null,
          verifiedBy: meta.verifiedBy,
          headers: headersToObject(headers),
          activity: meta.json,
        });
      }
      for (const e of meta.entries ?? []) e.status = response.status;
      console.error(`[fedify-peer] inbox POST ${url.pathname} ${meta.json?.type ?? "?"} -> ${response.status} (sig=${meta.verifiedBy?.httpSignature?.scheme}, proof=${meta.verifiedBy?.integrityProof ? "yes" : "no"})`);
    }
    const outHeaders = {};
    response.headers.forEach((v, k) => {
      outHeaders[k] = v;
    });
    res.writeHead(response.status, outHeaders);
    res.end(out);
  } catch (e) {
    console.error(`[fedify-peer] request ${req.method} ${req.url} failed: ${e?.stack ?? e}`);
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
    res.end("Internal server error");
  }
});

server.listen(PORT, HOST, () => {
  console.error(`[fedify-peer] listening on ${BASE} (actor ${BASE}/users/${IDENTIFIER}, firstKnock=${FIRST_KNOCK}, node ${process.version})`);
});

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
