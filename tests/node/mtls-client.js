// A Node 20 HTTPS client as Kibana's Elasticsearch client connects: a PKCS#12
// (pfx + passphrase) or PEM cert/key, and the CA to verify the server.
// Usage: node mtls-client.js PORT CA_FILE [PFX PW_FILE | CERT KEY | none]
const https = require('https');
const fs = require('fs');
const [port, caFile, a, b] = process.argv.slice(2);
const opts = { host: '127.0.0.1', port: Number(port), path: '/', method: 'GET', ca: fs.readFileSync(caFile), timeout: 10000 };
if (a && a !== 'none') {
  if (a.endsWith('.p12')) { opts.pfx = fs.readFileSync(a); opts.passphrase = fs.readFileSync(b, 'utf8').replace(/\r?\n$/, ''); }
  else { opts.cert = fs.readFileSync(a); opts.key = fs.readFileSync(b); }
}
const req = https.request(opts, (res) => {
  let body = '';
  res.on('data', (d) => (body += d));
  res.on('end', () => { console.log(JSON.stringify({ status: res.statusCode, body })); });
});
req.on('timeout', () => { req.destroy(new Error('timeout')); });
req.on('error', (e) => { console.log(JSON.stringify({ error: e.code || e.message })); });
req.end();
