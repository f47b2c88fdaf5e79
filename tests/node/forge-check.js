// Reads a PKCS#12 exactly as Kibana's @kbn/crypto readPkcs12Keystore does
// (node-forge: decode64 → asn1.fromDer → pkcs12FromAsn1 → key bags / cert bags,
// the certificate whose RSA modulus matches the key is the leaf, the others CAs)
// and prints JSON: {keys, keyDecoded, cert, cas, error}.
const forge = require('node-forge');
const fs = require('fs');
const [file, pwFile] = process.argv.slice(2);
const password = fs.readFileSync(pwFile, 'utf8').replace(/\r?\n$/, '');
const out = { keys: 0, keyDecoded: false, cert: null, cas: [], error: null };
try {
  const der = forge.util.decode64(fs.readFileSync(file).toString('base64'));
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), password);
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] || []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] || []),
  ];
  out.keys = keyBags.length;
  if (keyBags.length > 1) throw new Error('Keystore contains multiple private keys.');
  const key = keyBags.length ? keyBags[0].key : null;
  out.keyDecoded = !!key;
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] || [];
  for (const bag of certBags) {
    if (!bag.cert) continue;
    const pub = bag.cert.publicKey;
    const cn = bag.cert.subject.getField('CN');
    const name = cn ? cn.value : '?';
    if (key && pub && pub.n && pub.n.equals(key.n) && pub.e.equals(key.e)) out.cert = name;
    else out.cas.push(name);
  }
} catch (e) {
  out.error = String(e.message || e);
}
console.log(JSON.stringify(out));
