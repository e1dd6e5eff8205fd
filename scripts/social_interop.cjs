// Meta's and X's webhooks as their published libraries sign them, against the real binary.
//
// Usage: node social_interop.cjs BASE_URL PROVIDER_PORT
//
// The server runs with the secrets below (scripts/social-interop sets them) and sends its
// replies to the provider stand-in this script serves on PROVIDER_PORT. Meta's
// X-Hub-Signature-256 is computed by Meta's own WhatsApp SDK (npm's `whatsapp`, from
// github.com/WhatsApp/WhatsApp-Nodejs-SDK: its generateXHub256Sig, which its webhook server
// checks the header's hex against; Messenger's notifications are signed the same way with the
// Facebook app's secret); X's CRC answer and x-twitter-webhooks-signature by npm's
// twitter-autohook, X's own webhook library (validateWebhook, validateSignature). Each signed call must be taken and answered
// on the provider's API; the same call tampered with or signed with another secret must be
// refused (401); X's CRC must not sign a webhook body for anyone who asks.

"use strict";
const http = require("node:http");
const assert = require("node:assert/strict");
const path = require("node:path");
// The SDK exports only its client; its signing function is read from the file its webhook
// server takes it from.
const sdk = path.dirname(require.resolve("whatsapp/package.json"));
const { generateXHub256Sig } = require(path.join(sdk, "build", "utils.js"));
const { validateWebhook, validateSignature } = require("twitter-autohook");

const WHATSAPP_SECRET = "wa-interop-secret";
const WHATSAPP_VERIFY = "wa-interop-verify";
const FACEBOOK_SECRET = "fb-interop-secret";
const FACEBOOK_VERIFY = "fb-interop-verify";
const X_SECRET = "x-interop-consumer-secret";
const PHONE_NUMBER_ID = "109876543210";
const PAGE_ID = "1122334455";
const X_ACCOUNT = "1500000000000000001";

const [base, providerPort] = process.argv.slice(2);

// What the server sent to the providers' APIs: [path, JSON body].
const sent = [];
const provider = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    sent.push([req.url, JSON.parse(body || "null")]);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ messages: [{ id: `wamid.${sent.length}` }], message_id: `m${sent.length}`, data: { dm_event_id: `${sent.length}` } }));
  });
});

async function call(method, path, { body, headers = {} } = {}) {
  const response = await fetch(base + path, { method, body, headers });
  return { status: response.status, text: await response.text() };
}

/// Waits for the server's reply on the provider's API at a path starting with `prefix`.
async function replyAt(prefix, since) {
  for (let i = 0; i < 100; i++) {
    const reply = sent.slice(since).find(([path]) => path.startsWith(prefix));
    if (reply) return reply[1];
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no reply reached ${prefix}: ${JSON.stringify(sent.slice(since))}`);
}

/// A signed call is taken and answered; tampered or signed with another key, refused.
async function signedCall(name, path, header, body, sign, otherSign, replyPrefix) {
  const before = sent.length;
  const bad = [
    ["tampered", body.replace("مرحبا", "مرحبأ"), sign(body)],
    ["another secret", body, otherSign(body)],
    ["unsigned", body, null],
  ];
  for (const [why, payload, signature] of bad) {
    const headers = { "content-type": "application/json" };
    if (signature !== null) headers[header] = signature;
    const { status } = await call("POST", path, { body: payload, headers });
    assert.equal(status, 401, `${name}, ${why}: expected 401, got ${status}`);
  }
  assert.equal(sent.length, before, `${name}: a refused call was answered`);
  const { status, text } = await call("POST", path, {
    body,
    headers: { "content-type": "application/json", [header]: sign(body) },
  });
  assert.equal(status, 200, `${name}: ${status} ${text}`);
  const reply = await replyAt(replyPrefix, before);
  console.log(`ok: ${name} signed by the library was taken and answered`);
  return reply;
}

async function meta() {
  // The header Meta sends: `sha256=` and the hex the SDK computes (and compares it with).
  const meta = (secret) => (body) => `sha256=${generateXHub256Sig(body, secret)}`;

  // The subscription handshakes: the challenge echoed for the right verify token only.
  for (const [path, verify] of [["/hooks/whatsapp", WHATSAPP_VERIFY], ["/hooks/facebook", FACEBOOK_VERIFY]]) {
    const ok = await call("GET", `${path}?hub.mode=subscribe&hub.verify_token=${verify}&hub.challenge=1158201444`);
    assert.deepEqual([ok.status, ok.text], [200, "1158201444"], path);
    const wrong = await call("GET", `${path}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1158201444`);
    assert.equal(wrong.status, 403, `${path} with a wrong verify token`);
  }
  console.log("ok: Meta's subscription handshakes");

  const whatsapp = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [{ id: "102290129340398", changes: [{ field: "messages", value: {
      messaging_product: "whatsapp",
      metadata: { display_phone_number: "97317000000", phone_number_id: PHONE_NUMBER_ID },
      contacts: [{ profile: { name: "Fatima" }, wa_id: "97333111222" }],
      messages: [{ from: "97333111222", id: "wamid.interop1", timestamp: "1764921600", type: "text", text: { body: "مرحبا" } }],
    } }] }],
  });
  const waReply = await signedCall("WhatsApp", "/hooks/whatsapp", "x-hub-signature-256", whatsapp,
    meta(WHATSAPP_SECRET), meta("not-the-secret"), `/${PHONE_NUMBER_ID}/messages`);
  assert.equal(waReply.to, "97333111222");
  assert.equal(waReply.messaging_product, "whatsapp");

  const messenger = JSON.stringify({
    object: "page",
    entry: [{ id: PAGE_ID, time: 1764921600000, messaging: [{
      sender: { id: "6677889900" }, recipient: { id: PAGE_ID }, timestamp: 1764921600000,
      message: { mid: "m_interop1", text: "مرحبا" },
    }] }],
  });
  const fbReply = await signedCall("Messenger", "/hooks/facebook", "x-hub-signature-256", messenger,
    meta(FACEBOOK_SECRET), meta("not-the-secret"), "/me/messages");
  assert.equal(fbReply.recipient.id, "6677889900");
}

async function x() {
  const auth = { consumer_secret: X_SECRET };
  // The CRC: the server's answer is the one X's library computes.
  const token = "QWxsIHRoYXQgWCBzZW5kcyBpcyBhIHJhbmRvbSB0b2tlbg";
  const crc = await call("GET", `/hooks/x?crc_token=${token}`);
  assert.equal(crc.status, 200, crc.text);
  assert.deepEqual(JSON.parse(crc.text), validateWebhook(token, auth));
  console.log("ok: X's CRC answered as twitter-autohook computes it");

  // X signs a body as it answers a CRC (both are sha256=base64 HMAC-SHA256 under the consumer
  // secret): validateWebhook over the body is X's signature of it, and validateSignature,
  // the library's check, accepts it.
  const sign = (b) => validateWebhook(b, auth).response_token;
  const otherSign = (b) => validateWebhook(b, { consumer_secret: "not-the-secret" }).response_token;
  const dm = JSON.stringify({
    for_user_id: X_ACCOUNT,
    direct_message_events: [{
      type: "message_create", id: "1900000000000000001", created_timestamp: "1764921600000",
      message_create: { target: { recipient_id: X_ACCOUNT }, sender_id: "1600000000000000002",
        message_data: { text: "مرحبا", entities: { hashtags: [], symbols: [], user_mentions: [], urls: [] } } },
    }],
  });
  assert.ok(validateSignature({ "x-twitter-webhooks-signature": sign(dm) }, auth, dm));
  await signedCall("X", "/hooks/x", "x-twitter-webhooks-signature", dm, sign, otherSign,
    "/2/dm_conversations/with/1600000000000000002/messages");

  // Anyone may ask for a CRC, and a CRC answer is a signature: a token that is a webhook body
  // would sign it. The server answers only tokens of the form X sends, so none is a body.
  const forged = JSON.stringify({ for_user_id: X_ACCOUNT, direct_message_events: [] });
  const oracle = await call("GET", `/hooks/x?crc_token=${encodeURIComponent(forged)}`);
  assert.equal(oracle.status, 400, `a JSON body as crc_token: ${oracle.status} ${oracle.text}`);
  console.log("ok: X's CRC signs no webhook body");
}

provider.listen(Number(providerPort), "127.0.0.1", async () => {
  try {
    await meta();
    await x();
    provider.close();
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
});
