// Independent reader/writer of kibana.keystore for esmtls's tests, using Elastic's
// @elastic/node-crypto (same constants as Kibana's keystore: PBKDF2-SHA512 10 000,
// AES-256-GCM, base64(salt||iv||tag||ct)).
//   node kibana_keystore.js read FILE         prints the decrypted JSON
//   node kibana_keystore.js write FILE        writes "1:" + encryptSync(JSON.parse($KS_JSON))
// The password comes from $KS_PASSWORD (empty = Kibana's default).
const fs = require('fs');
const makeCryptoWith = require('@elastic/node-crypto').default;
const [, , mode, file] = process.argv;
const pw = process.env.KS_PASSWORD || '';
// node-crypto refuses '' as a key; an empty Buffer derives the same key.
const crypto = makeCryptoWith({ encryptionKey: pw === '' ? Buffer.alloc(0) : pw });
if (mode === 'read') {
  const content = fs.readFileSync(file, 'utf8');
  process.stdout.write(JSON.stringify(crypto.decryptSync(content.split(':')[1])));
} else {
  fs.writeFileSync(file, '1:' + crypto.encryptSync(JSON.parse(process.env.KS_JSON)));
}
