// Loads a PKCS#12 the way Elasticsearch does (KeyStore + KeyManagerFactory +
// TrustManagerFactory) and prints each entry: "KEY alias chain=N DN", "TRUSTED alias DN".
// Also prints each certificate's X500Principal.toString() — the pki_dn Elasticsearch reports.
import java.io.*;
import java.security.*;
import java.security.cert.*;
import java.util.*;
import javax.net.ssl.*;

public class P12Check {
    public static void main(String[] a) throws Exception {
        char[] pw = new String(java.nio.file.Files.readAllBytes(java.nio.file.Paths.get(a[1]))).trim().toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(a[0])) { ks.load(in, pw); }
        for (String alias : Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(alias)) {
                Key k = ks.getKey(alias, pw);
                java.security.cert.Certificate[] chain = ks.getCertificateChain(alias);
                System.out.println("KEY " + alias + " " + k.getAlgorithm() + " chain=" + chain.length + " " + ((X509Certificate) chain[0]).getSubjectX500Principal());
            } else if (ks.isCertificateEntry(alias)) {
                System.out.println("TRUSTED " + alias + " " + ((X509Certificate) ks.getCertificate(alias)).getSubjectX500Principal());
            }
        }
        KeyManagerFactory.getInstance("PKIX").init(ks, pw);
        TrustManagerFactory.getInstance("PKIX").init(ks);
        System.out.println("OK");
    }
}
