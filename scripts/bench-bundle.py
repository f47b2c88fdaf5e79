#!/usr/bin/env python3
"""Benchmark: the full certificate bundle with esmtls vs an OpenSSL CLI script.

Bundle = CA, Elasticsearch HTTP server certificate with 3 SANs, Kibana client
certificate, all three as password-protected PKCS#12, plus the CA as PEM.
  esmtls:  cert ca, cert issue --server, cert issue --client, cert extract-ca
  openssl: the same files with genpkey/req/x509/pkcs12 (OpenSSL 3 defaults:
           AES-256-CBC, PBKDF2, SHA-256 MAC)
  The Kibana client key is RSA-2048 in every variant: Kibana reads a PKCS#12
  key with node-forge, which only decodes RSA (esmtls refuses an EC client
  PKCS#12), so the "ec-p256" bundle is an EC CA and EC server with an RSA client.
  floor:   generating the three keys with the same library and binary and
           nothing else: `esmtls cert keygen` (hidden), once per key, as the
           bundle makes one key per command
Runs are interleaved; medians of wall time are reported.
Usage: python3 scripts/bench-bundle.py [RUNS]   (builds release binaries first)
"""
import os, statistics, subprocess, sys, tempfile, time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 21
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "esmtls"], cwd=ROOT, check=True)
ESMTLS = os.path.join(ROOT, "target/release/esmtls")

def sh(cmds, cwd):
    for c in cmds:
        subprocess.run(c, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def esmtls_bundle(d, key):
    k = ["--key", key]
    sh([[ESMTLS, "cert", "ca", "--out", "ca.p12", "--password-file", "pw"] + k,
        [ESMTLS, "cert", "issue", "--ca", "ca.p12", "--ca-password-file", "pw", "--name", "es01", "--server",
         "--dns", "es01,localhost", "--ip", "127.0.0.1", "--out", "http.p12", "--password-file", "pw"] + k,
        [ESMTLS, "cert", "issue", "--ca", "ca.p12", "--ca-password-file", "pw", "--name", "kibana-client", "--client",
         "--out", "kibana-client.p12", "--password-file", "pw", "--key", "rsa2048"],
        [ESMTLS, "cert", "extract-ca", "--in", "ca.p12", "--out", "ca.crt", "--password-file", "pw"]], d)

def openssl_bundle(d, key):
    alg = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"] if key == "rsa2048" else ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nsubjectAltName=DNS:es01,DNS:localhost,IP:127.0.0.1\n")
    with open(os.path.join(d, "client.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
                "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    cmds = [["openssl", "genpkey"] + alg + ["-out", "ca.key"],
            ["openssl", "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=esmtls CA", "-days", "1825", "-out", "ca.crt",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["openssl", "pkcs12", "-export", "-in", "ca.crt", "-inkey", "ca.key", "-name", "ca", "-out", "ca.p12", "-passout", "file:pw"]]
    for name, ext in (("http", "server.ext"), ("kibana-client", "client.ext")):
        calg = alg if name == "http" else ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        cn = "es01" if name == "http" else "kibana-client"
        cmds += [["openssl", "genpkey"] + calg + ["-out", name + ".key"],
                 ["openssl", "req", "-new", "-key", name + ".key", "-subj", "/CN=" + cn, "-out", name + ".csr"],
                 ["openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                  "-days", "1095", "-extfile", ext, "-out", name + ".crt"],
                 ["openssl", "pkcs12", "-export", "-in", name + ".crt", "-inkey", name + ".key", "-certfile", "ca.crt",
                  "-name", cn, "-out", name + ".p12", "-passout", "file:pw"]]
    sh(cmds, d)

def floor(d, key):
    # Kibana's client key is RSA in both bundles (Kibana reads PKCS#12 keys only when RSA).
    keys = ["rsa2048"] * 3 if key == "rsa2048" else ["ec-p256", "ec-p256", "rsa2048"]
    sh([[ESMTLS, "cert", "keygen", "--key", k] for k in keys], d)

def timed(fn, key):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "pw"), "w") as f:
            f.write("changeme\n")
        t = time.perf_counter()
        fn(d, key)
        return time.perf_counter() - t

print(f"runs per variant: {RUNS}; machine: {os.cpu_count()} cores")
for key in ("rsa2048", "ec-p256"):
    res = {"esmtls": [], "openssl": [], "floor": []}
    for _ in range(RUNS):
        res["esmtls"].append(timed(esmtls_bundle, key))
        res["openssl"].append(timed(openssl_bundle, key))
        res["floor"].append(timed(floor, key))
    med = {k: statistics.median(v) * 1000 for k, v in res.items()}
    print(f"{key:8}  esmtls {med['esmtls']:7.1f} ms   openssl script {med['openssl']:7.1f} ms   key generation floor {med['floor']:7.1f} ms")
    print(f"{'':8}  esmtls/openssl = {med['esmtls'] / med['openssl']:.2f} (target <= 0.33)   esmtls/floor = {med['esmtls'] / med['floor']:.2f} (target <= 1.3)")
