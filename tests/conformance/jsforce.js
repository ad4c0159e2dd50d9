// jsforce against `sfmap emulate`: logins (access token, password, authorization code + PKCE,
// refresh on 401, JWT bearer, client_credentials), CRUD, upsert by external id, a paging SOQL
// query, Collections, a Bulk API 2.0 upsert with failures, describe. Assertions check what
// jsforce reports and, through raw HTTP, what the emulator stored.
'use strict';
const jsforce = require('jsforce');
const crypto = require('crypto');
const fs = require('fs');
const assert = require('assert/strict');

const URL = process.env.EMU_URL;
const TOKEN = process.env.EMU_TOKEN;
const V = '60.0';

// Independent check of the emulator's state (not through jsforce).
async function raw(soql) {
  const r = await fetch(`${URL}/services/data/v${V}/query?q=${encodeURIComponent(soql)}`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(r.status, 200, `raw query ${soql}`);
  return (await r.json()).records;
}

const b64u = (b) => Buffer.from(b).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

async function main() {
  // --- logins ---------------------------------------------------------------------------------
  const conn = new jsforce.Connection({ instanceUrl: URL, accessToken: TOKEN, version: V });
  const identity = await conn.identity();
  assert.equal(identity.username, process.env.EMU_USERNAME);

  const oauth2 = new jsforce.OAuth2({
    loginUrl: URL, clientId: process.env.EMU_CLIENT_ID, clientSecret: process.env.EMU_CLIENT_SECRET,
    redirectUri: 'http://localhost:1717/OauthRedirect', useVerifier: true,
  });
  const pw = new jsforce.Connection({ oauth2, version: V });
  const userInfo = await pw.login(process.env.EMU_USERNAME, process.env.EMU_PASSWORD);
  assert.match(userInfo.organizationId, /^00D/);
  assert.equal((await pw.query('SELECT COUNT() FROM Account')).totalSize, 2100);
  await assert.rejects(new jsforce.Connection({ oauth2, version: V }).login(process.env.EMU_USERNAME, 'wrong'),
    (e) => e.name === 'invalid_grant');

  // Authorization code with PKCE: follow the auto-approving authorize page.
  const authUrl = oauth2.getAuthorizationUrl({ scope: 'api refresh_token', state: 'st8' });
  assert.match(authUrl, /code_challenge=/);
  const redirect = await fetch(authUrl, { redirect: 'manual' });
  assert.equal(redirect.status, 302);
  const loc = new globalThis.URL(redirect.headers.get('location'));
  assert.equal(loc.searchParams.get('state'), 'st8');
  const web = new jsforce.Connection({ oauth2, version: V });
  await web.authorize(loc.searchParams.get('code'));
  assert.ok(web.refreshToken, 'authorization_code gives a refresh token');
  // Refresh: revoke the access token, then jsforce must refresh on the 401 and retry.
  let refreshed = false;
  web.on('refresh', () => { refreshed = true; });
  const old = web.accessToken;
  const rv = await fetch(`${URL}/services/oauth2/revoke`, { method: 'POST', body: new URLSearchParams({ token: old }) });
  assert.equal(rv.status, 200);
  const afterRefresh = await web.query("SELECT Id FROM Account WHERE Name = 'Page 0001'");
  assert.equal(afterRefresh.totalSize, 1);
  assert.ok(refreshed, 'refresh event fired');
  assert.notEqual(web.accessToken, old);

  // JWT bearer, signed with the emulator's development key.
  const now = Math.floor(Date.now() / 1000);
  const hdr = b64u(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = b64u(JSON.stringify({ iss: process.env.EMU_CLIENT_ID, sub: process.env.EMU_USERNAME, aud: 'https://login.salesforce.com', exp: now + 180 }));
  const sig = b64u(crypto.sign('RSA-SHA256', Buffer.from(`${hdr}.${claims}`), fs.readFileSync(process.env.EMU_JWT_KEY)));
  const jwt = await oauth2.requestToken({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${hdr}.${claims}.${sig}` });
  assert.match(jwt.access_token, /^00D[0-9A-Za-z]{12}!/);
  assert.equal(jwt.refresh_token, undefined);
  const cc = await new jsforce.OAuth2({ loginUrl: URL, clientId: process.env.EMU_CLIENT_ID, clientSecret: process.env.EMU_CLIENT_SECRET })
    .requestToken({ grant_type: 'client_credentials' });
  assert.equal(cc.instance_url, URL);
  const ccConn = new jsforce.Connection({ instanceUrl: cc.instance_url, accessToken: cc.access_token, version: V });
  assert.equal((await ccConn.query('SELECT COUNT() FROM Account')).totalSize, 2100);

  // --- records ---------------------------------------------------------------------------------
  const Account = conn.sobject('Account');
  const created = await Account.create({ Name: 'JS Acme', ExtId__c: 'JS1' });
  assert.equal(created.success, true);
  assert.match(created.id, /^001[0-9A-Za-z]{15}$/);
  assert.deepEqual((await raw("SELECT Name FROM Account WHERE ExtId__c = 'JS1'")).map((r) => r.Name), ['JS Acme']);

  const upNew = await Account.upsert({ Name: 'JS New', ExtId__c: 'JS 2&x' }, 'ExtId__c');
  assert.equal(upNew.success, true);
  assert.equal(upNew.created, true);
  const upOld = await Account.upsert({ Name: 'JS Existing', ExtId__c: 'JS1' }, 'ExtId__c');
  assert.equal(upOld.created, false);
  assert.equal(upOld.id, created.id);
  assert.deepEqual((await raw("SELECT Name FROM Account WHERE ExtId__c IN ('JS1', 'JS 2&x') ORDER BY Name")).map((r) => r.Name), ['JS Existing', 'JS New']);
  await assert.rejects(Account.create({ Name: 'dup', ExtId__c: 'js1' }), (e) => e.errorCode === 'DUPLICATE_VALUE');
  await assert.rejects(Account.create({ ExtId__c: 'noname' }), (e) => e.errorCode === 'REQUIRED_FIELD_MISSING');

  // A paging query: 2,100 seeded records, first page 2,000.
  const first = await conn.query("SELECT Id, Name FROM Account WHERE Name LIKE 'Page %' ORDER BY Name");
  assert.equal(first.totalSize, 2100);
  assert.equal(first.done, false);
  assert.equal(first.records.length, 2000);
  const more = await conn.queryMore(first.nextRecordsUrl);
  assert.equal(more.done, true);
  assert.equal(more.records.length, 100);
  assert.equal(more.records[99].Name, 'Page 2099');
  const all = await conn.query("SELECT Id FROM Account WHERE Name LIKE 'Page %'").run({ autoFetch: true, maxFetch: 5000 });
  assert.equal(all.records.length, 2100);

  const upd = await Account.update({ Id: created.id, Name: 'JS Updated' });
  assert.equal(upd.success, true);
  assert.equal((await raw(`SELECT Name FROM Account WHERE Id = '${created.id}'`))[0].Name, 'JS Updated');
  const del = await Account.destroy(upNew.id);
  assert.equal(del.success, true);
  assert.equal((await raw("SELECT Id FROM Account WHERE ExtId__c = 'JS 2&x'")).length, 0);
  await assert.rejects(Account.retrieve(upNew.id), (e) => e.errorCode === 'ENTITY_IS_DELETED');

  // Collections (jsforce sends arrays through /composite/sobjects).
  const many = await Account.create([{ Name: 'C1' }, { Name: 'C2' }], { allOrNone: true });
  assert.equal(many.filter((r) => r.success).length, 2);
  // jsforce's update of an array sends each record's Id as lowercase `id`.
  const renamed = await Account.update(many.map((r, i) => ({ Id: r.id, Name: `C${i + 1} renamed` })));
  assert.deepEqual(renamed.map((r) => r.success), [true, true]);
  assert.equal((await raw("SELECT Id FROM Account WHERE Name LIKE 'C_ renamed'")).length, 2);
  const ups = await Account.upsert([{ Name: 'CU1', ExtId__c: 'CU1' }, { Name: 'JS Again', ExtId__c: 'JS1' }], 'ExtId__c');
  assert.deepEqual(ups.map((r) => r.created), [true, false]);

  // --- Bulk API 2.0 upsert with a failing row ---------------------------------------------------
  const res = await conn.bulk2.loadAndWaitForResults({
    object: 'Account', operation: 'upsert', externalIdFieldName: 'ExtId__c',
    input: [{ ExtId__c: 'B1', Name: 'Bulk 1' }, { ExtId__c: 'JS1', Name: 'Bulk, "quoted"' }, { ExtId__c: 'B3', Name: 'x'.repeat(300) }],
    pollInterval: 100, pollTimeout: 60000,
  });
  assert.equal(res.successfulResults.length, 2);
  assert.equal(res.failedResults.length, 1);
  assert.equal(res.unprocessedRecords.length, 0);
  const byExt = Object.fromEntries(res.successfulResults.map((r) => [r.ExtId__c, r]));
  assert.equal(byExt.B1.sf__Created, 'true');
  assert.equal(byExt.JS1.sf__Created, 'false');
  assert.equal(byExt.JS1.sf__Id, created.id);
  assert.match(res.failedResults[0].sf__Error, /^STRING_TOO_LONG:/);
  assert.equal(res.failedResults[0].ExtId__c, 'B3');
  assert.equal((await raw("SELECT Name FROM Account WHERE ExtId__c = 'JS1'"))[0].Name, 'Bulk, "quoted"');
  assert.equal((await raw("SELECT Id FROM Account WHERE ExtId__c = 'B3'")).length, 0);

  // --- describe --------------------------------------------------------------------------------
  const d = await Account.describe();
  const ext = d.fields.find((f) => f.name === 'ExtId__c');
  assert.equal(ext.externalId, true);
  const g = await conn.describeGlobal();
  assert.ok(g.sobjects.some((o) => o.name === 'Widget__c' && o.keyPrefix === 'a00'));
  const limits = await conn.limits();
  assert.equal(limits.DailyApiRequests.Max, 15000);
}

main().then(() => console.log('jsforce: all assertions passed'), (e) => { console.error(e); process.exit(1); });
