'use strict';

// The app against a live invoice-inbox (tests/e2e/test_zapier_app.py starts one on loopback
// and sets the environment below), through zapier-platform-core's app tester: the same code
// path Zapier runs. Without INBOX_BASE_URL only the schema check runs.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const { after, before, describe, it } = require('node:test');

const zapier = require('zapier-platform-core');
const App = require('../index');
const samples = require('../lib/samples');
const { sendMail } = require('./smtp');

const appTester = zapier.createAppTester(App);
const env = process.env;
const live = Boolean(env.INBOX_BASE_URL);
const authData = { base_url: env.INBOX_BASE_URL, token: env.INBOX_TOKEN };

// The key paths of a JSON object: the shape a sample must share with a live answer. Maps
// whose keys are data (an invoice's per-field confidence, a document's corrections) are leaves.
const MAPS = new Set(['confidence', 'corrections']);
const keysOf = (value, prefix = '') =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.keys(value)
        .sort()
        .flatMap((key) => [`${prefix}${key}`, ...(MAPS.has(key) ? [] : keysOf(value[key], `${prefix}${key}.`))])
    : [];
const topKeys = (value) => Object.keys(value).sort();

// A plain authenticated call to the API, for checking what the app did.
const api = async (path, options = {}) => {
  const response = await fetch(`${env.INBOX_BASE_URL}/api/v1${path}`, {
    ...options,
    headers: { Authorization: `Bearer ${env.INBOX_TOKEN}`, ...(options.headers || {}) },
  });
  return { status: response.status, body: response.status === 204 ? null : await response.json() };
};

// An HTTP server on loopback that records every request and answers with `handle`.
const startServer = async (handle) => {
  const requests = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(request);
      handle(request, res);
      waiters.splice(0).forEach((wake) => wake());
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const next = (count, ms) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no request ${count} within ${ms} ms`)), ms);
      const check = () => {
        if (requests.length >= count) {
          clearTimeout(timer);
          resolve(requests[count - 1]);
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    next,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
};

describe('the app definition', () => {
  it('passes the platform schema (what `zapier validate` checks locally)', async () => {
    const { results } = await zapier.createAppHandler(App)({ command: 'validate' });
    assert.deepEqual(results, []);
  });
});

describe('against a live server', { skip: !live && 'INBOX_BASE_URL is not set' }, () => {
  let receiver; // stands in for Zapier's hook URLs
  let files; // stands in for a file another Zap step hands over
  const uploaded = {};

  before(async () => {
    receiver = await startServer((req, res) => res.writeHead(200).end('{"status": "success"}'));
    files = await startServer((req, res) => {
      if (req.url === '/files/invoice.pdf') {
        res.writeHead(200, { 'content-type': 'application/pdf' }).end(fs.readFileSync(env.INBOX_TEST_PDF));
      } else if (req.url === '/files/notes.txt') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('just some words, no invoice');
      } else {
        res.writeHead(404).end();
      }
    });
  });

  after(async () => {
    await receiver.close();
    await files.close();
  });

  it('tests the connection with /api/v1/me and labels it with the account', async () => {
    const me = await appTester(App.authentication.test, { authData });
    assert.equal(me.account.inbox_address, env.INBOX_ADDRESS);
    const label = await appTester(App.authentication.connectionLabel, { authData, inputData: me });
    assert.equal(label, `${me.account.name} (${env.INBOX_ADDRESS})`);
  });

  it('refuses a wrong token with the server\'s reason', async () => {
    await assert.rejects(
      appTester(App.authentication.test, { authData: { ...authData, token: 'iib_wrong' } }),
      /refused the token/,
    );
  });

  it('subscribes New Document, gets a mailed invoice as the API\'s document, unsubscribes', async () => {
    const trigger = App.triggers.new_document.operation;
    const targetUrl = `${receiver.url}/hooks/catch/new_document`;
    const subscribeData = await appTester(trigger.performSubscribe, { authData, targetUrl });
    assert.equal(subscribeData.event, 'document.created');
    assert.match(subscribeData.secret, /^whsec_/);
    const listed = (await api('/hooks')).body.items.map((hook) => [hook.id, hook.target_url]);
    assert.deepEqual(listed, [[subscribeData.id, targetUrl]]);

    await sendMail({
      host: '127.0.0.1',
      port: Number(env.INBOX_SMTP_PORT),
      from: 'billing@northwind.example',
      to: env.INBOX_ADDRESS,
      message: fs.readFileSync(env.INBOX_TEST_MAIL),
    });
    const delivery = await receiver.next(1, 60000);
    assert.match(delivery.headers['webhook-id'], /^msg_/);

    const items = await appTester(trigger.perform, {
      authData,
      subscribeData,
      cleanedRequest: JSON.parse(delivery.body),
    });
    assert.equal(items.length, 1);
    const [document] = items;
    assert.deepEqual(document, (await api(`/documents/${document.id}`)).body);
    assert.equal(document.filename, 'NW-2026-042.pdf');
    assert.deepEqual(keysOf(document), keysOf(samples.document));
    assert.deepEqual(await appTester(trigger.performList, { authData }), [document]); // the sample route
    uploaded.mailed = document;

    await appTester(trigger.performUnsubscribe, { authData, subscribeData });
    assert.deepEqual((await api('/hooks')).body.items, []);
    await appTester(trigger.performUnsubscribe, { authData, subscribeData }); // already gone: fine
  });

  it('subscribes Failed Mail, gets a mail that could not be read as the API\'s message, unsubscribes', async () => {
    const trigger = App.triggers.failed_mail.operation;
    const subscribeData = await appTester(trigger.performSubscribe, { authData, targetUrl: `${receiver.url}/f` });
    assert.equal(subscribeData.event, 'message.failed');
    const ignored = await appTester(trigger.perform, {
      authData,
      subscribeData,
      cleanedRequest: { type: 'document.created', timestamp: '2026-11-30T00:00:00Z', data: samples.document },
    });
    assert.deepEqual(ignored, []); // another event's body

    await sendMail({
      host: '127.0.0.1',
      port: Number(env.INBOX_SMTP_PORT),
      from: 'billing@northwind.example',
      to: env.INBOX_ADDRESS,
      message: fs.readFileSync(env.INBOX_TEST_FAILING_MAIL),
    });
    const delivery = await receiver.next(2, 60000); // the first was the New Document one
    const [message] = await appTester(trigger.perform, {
      authData,
      subscribeData,
      cleanedRequest: JSON.parse(delivery.body),
    });
    assert.equal(message.status, 'failed');
    assert.deepEqual(message, (await api('/messages')).body.items.find((m) => m.id === message.id));
    assert.deepEqual(keysOf(message), keysOf(samples.message));
    assert.deepEqual(await appTester(trigger.performList, { authData }), [message]);

    await appTester(trigger.performUnsubscribe, { authData, subscribeData });
    assert.deepEqual((await api('/hooks')).body.items, []);
  });

  it('uploads a file handed over as a URL, without sending the token to the file\'s host', async () => {
    const result = await appTester(App.creates.upload_document.operation.perform, {
      authData,
      inputData: { file: `${files.url}/files/invoice.pdf`, filename: 'NW-2026-050.pdf' },
    });
    assert.equal(result.message.source, 'upload');
    assert.equal(result.message.status, 'processed');
    assert.equal(result.documents.length, 1);
    assert.equal(result.documents[0].filename, 'NW-2026-050.pdf');
    assert.deepEqual(topKeys(result), topKeys(App.creates.upload_document.operation.sample));
    assert.deepEqual(topKeys(result.message), topKeys(samples.message)); // an upload's auth is null
    assert.deepEqual(keysOf(result.documents[0]), keysOf(samples.document));
    const fetched = files.requests.find((req) => req.url === '/files/invoice.pdf');
    assert.equal(fetched.headers.authorization, undefined);
    uploaded.document = result.documents[0];
  });

  it('shows the server\'s reason when an upload is refused', async () => {
    await assert.rejects(
      appTester(App.creates.upload_document.operation.perform, {
        authData,
        inputData: { file: `${files.url}/files/notes.txt` },
      }),
      (err) => err.message.includes('not_a_document') || /not a document|not.*document/i.test(err.message),
    );
    await assert.rejects(
      appTester(App.creates.upload_document.operation.perform, {
        authData,
        inputData: { file: `${files.url}/files/missing.pdf` },
      }),
      /Could not fetch the file to upload \(HTTP 404/,
    );
  });

  it('creates a supplier, then updates the one with the same VAT ID', async () => {
    const create = App.creates.create_supplier.operation.perform;
    const first = await appTester(create, {
      authData,
      inputData: { name: 'Northwind', emails: ['billing@northwind.example'], vat_id: 'DE123456789' },
    });
    assert.deepEqual(keysOf(first), keysOf(samples.supplier));
    const second = await appTester(create, {
      authData,
      inputData: { name: 'Northwind GmbH', vat_id: 'DE123456789', iban: 'DE02120300000000202051' },
    });
    assert.equal(second.id, first.id);
    assert.equal(second.name, 'Northwind GmbH');
    assert.deepEqual((await api('/suppliers')).body.items.map((s) => [s.id, s.name]), [[first.id, 'Northwind GmbH']]);
  });

  it('finds a document by its invoice number', async () => {
    const found = await appTester(App.searches.find_document.operation.perform, {
      authData,
      inputData: { q: 'NW-2026-042' },
    });
    assert.deepEqual(found.map((d) => d.id), [uploaded.mailed.id]);
  });

  it('polls new documents, newest first', async () => {
    const trigger = App.triggers.new_document_polling.operation;
    const polled = await appTester(trigger.perform, { authData, meta: {} });
    assert.deepEqual(polled.map((d) => d.id), [uploaded.document.id, uploaded.mailed.id]);
    const sampled = await appTester(trigger.perform, { authData, meta: { isLoadingSample: true } });
    assert.deepEqual(sampled.map((d) => d.id), [uploaded.document.id, uploaded.mailed.id]);
  });
});
