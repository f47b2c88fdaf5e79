// A minimal JSSE HTTPS server, as Elasticsearch's HTTP layer is: it loads its key
// from a PKCS#12, trusts the CAs of a PKCS#12 truststore, and REQUIRES a client
// certificate. Listens on 127.0.0.1 (ephemeral port, printed on stdout as
// "PORT <n>"), answers each request with the client's subject DN, and exits after
// MAX connections or 60 s, whichever comes first.
import java.io.*;
import java.net.*;
import java.security.KeyStore;
import javax.net.ssl.*;

public class MtlsServer {
    public static void main(String[] a) throws Exception {
        String keystore = a[0], truststore = a[1];
        char[] pw = new String(java.nio.file.Files.readAllBytes(java.nio.file.Paths.get(a[2]))).trim().toCharArray();
        int max = Integer.parseInt(a[3]);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(keystore)) { ks.load(in, pw); }
        KeyStore ts = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(truststore)) { ts.load(in, pw); }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, pw);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 10, InetAddress.getByName("127.0.0.1"));
        server.setNeedClientAuth(true);
        server.setSoTimeout(60000);
        System.out.println("PORT " + server.getLocalPort());
        System.out.flush();
        for (int i = 0; i < max; i++) {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                s.setSoTimeout(10000);
                try {
                    s.startHandshake();
                    String dn = ((java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().toString();
                    BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream()));
                    String line;
                    while ((line = r.readLine()) != null && !line.isEmpty()) { }
                    String body = "{\"client\":\"" + dn + "\",\"protocol\":\"" + s.getSession().getProtocol() + "\"}";
                    OutputStream o = s.getOutputStream();
                    o.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body).getBytes("UTF-8"));
                    o.flush();
                    System.out.println("ACCEPTED " + dn);
                } catch (IOException e) {
                    System.out.println("REJECTED " + e);
                }
                System.out.flush();
            } catch (SocketTimeoutException e) {
                break;
            }
        }
        server.close();
    }
}
